import { z } from "zod";
import { authConfigSchema } from "../auth/config-schema.js";
import { alarmsConfigSchema, refineAlarmsConfig } from "../core/alarms/config-schema.js";
import { analysisConfigSchema, refineAnalysisConfig } from "../core/analysis/config-schema.js";
import { equalizationConfigSchema, refineEqualizationConfig } from "../core/analysis/equalization-config.js";
import { protectionConfigSchema, refineProtectionConfig } from "../core/analysis/protection-config.js";
import { coreConfigShape, refineCoreConfig } from "../core/config/core-schema.js";
import { eventLogConfigSchema } from "../core/event-log/config-schema.js";
import { historyConfigSchema } from "../core/history/config-schema.js";
import { bacnetConfigSchema } from "../protocols/bacnet/config-schema.js";
import { emailConfigSchema } from "../protocols/email/config-schema.js";
import { httpConfigSchema } from "../protocols/http/config-schema.js";
import { modbusConfigSchema } from "../protocols/modbus/config-schema.js";
import { snmpConfigSchema } from "../protocols/snmp/config-schema.js";
import { sshConfigSchema } from "../protocols/ssh/config-schema.js";
import { syslogConfigSchema } from "../protocols/syslog/config-schema.js";
import { telnetConfigSchema } from "../protocols/telnet/config-schema.js";
import { simulatorSchema } from "../sim/config-schema.js";

/** Parses an empty section through its schema so every default applies. */
function defaults<S extends z.ZodType>(schema: S) {
  return () => schema.parse({}) as z.output<S>;
}

export const protocolsSchema = z.strictObject({
  modbus: modbusConfigSchema.default(defaults(modbusConfigSchema)),
  snmp: snmpConfigSchema.default(defaults(snmpConfigSchema)),
  bacnet: bacnetConfigSchema.default(defaults(bacnetConfigSchema)),
  ssh: sshConfigSchema.default(defaults(sshConfigSchema)),
  telnet: telnetConfigSchema.default(defaults(telnetConfigSchema)),
  http: httpConfigSchema.default(defaults(httpConfigSchema)),
});

export const notificationsSchema = z.strictObject({
  syslog: syslogConfigSchema,
  email: emailConfigSchema.default(defaults(emailConfigSchema)),
});

/** The whole gateway configuration: core sections plus simulator, protocols, notifications and auth. */
export const gatewayConfigSchema = z
  .strictObject({
    ...coreConfigShape,
    simulator: simulatorSchema.default(defaults(simulatorSchema)),
    alarms: alarmsConfigSchema.default(defaults(alarmsConfigSchema)),
    analysis: analysisConfigSchema.default(defaults(analysisConfigSchema)),
    equalization: equalizationConfigSchema.default(defaults(equalizationConfigSchema)),
    protection: protectionConfigSchema.default(defaults(protectionConfigSchema)),
    eventLog: eventLogConfigSchema.default(defaults(eventLogConfigSchema)),
    history: historyConfigSchema.default(defaults(historyConfigSchema)),
    protocols: protocolsSchema.default(defaults(protocolsSchema)),
    notifications: notificationsSchema.default(defaults(notificationsSchema)),
    auth: authConfigSchema.default(defaults(authConfigSchema)),
  })
  .superRefine((config, ctx) => {
    refineCoreConfig(config, ctx);
    refineAlarmsConfig(config, ctx);
    refineAnalysisConfig(config, ctx);
    refineEqualizationConfig(config, ctx);
    refineProtectionConfig(config, ctx);
    if (config.simulator.enabled) return;
    config.buses.forEach((bus, i) => {
      if (bus.transport.type === "simulated")
        ctx.addIssue({
          code: "custom",
          path: ["buses", i, "transport", "type"],
          message: "a simulated bus needs simulator.enabled: true",
        });
    });
  });

export type GatewayConfig = z.output<typeof gatewayConfigSchema>;
