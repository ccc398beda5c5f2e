import { z } from "zod";
import { listener } from "../../core/config/primitives.js";

export const httpConfigSchema = z.strictObject({
  ...listener({ enabled: false, host: "0.0.0.0", port: 443 }),
});

export type HttpConfig = z.infer<typeof httpConfigSchema>;
