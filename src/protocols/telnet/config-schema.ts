import { z } from "zod";
import { listener } from "../../core/config/primitives.js";

export const telnetConfigSchema = z.strictObject({
  ...listener({ enabled: false, host: "0.0.0.0", port: 23 }),
});

export type TelnetConfig = z.infer<typeof telnetConfigSchema>;
