import { z } from "zod";
import { listener } from "../../core/config/primitives.js";

export const snmpConfigSchema = z.strictObject({
  ...listener({ enabled: false, host: "0.0.0.0", port: 161 }),
});

export type SnmpConfig = z.infer<typeof snmpConfigSchema>;
