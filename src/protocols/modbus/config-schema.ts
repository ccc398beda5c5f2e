import { z } from "zod";
import { listener } from "../../core/config/primitives.js";

export const modbusConfigSchema = z.strictObject({
  ...listener({ enabled: false, host: "0.0.0.0", port: 502 }),
});

export type ModbusConfig = z.infer<typeof modbusConfigSchema>;
