import { z } from "zod";
import { listener } from "../../core/config/primitives.js";

export const bacnetConfigSchema = z.strictObject({
  ...listener({ enabled: false, host: "0.0.0.0", port: 47808 }),
});

export type BacnetConfig = z.infer<typeof bacnetConfigSchema>;
