import type { Adapter } from "../core/adapter.js";
import { alarmsService } from "../core/alarms/service.js";
import { equalizationService } from "../core/analysis/equalization-service.js";
import { protectionService } from "../core/analysis/protection-service.js";
import { analysisService } from "../core/analysis/service.js";
import { eventLogService } from "../core/event-log/service.js";
import { historyService } from "../core/history/service.js";
import type { CoreService } from "../core/service.js";
import { bacnetAdapter } from "../protocols/bacnet/adapter.js";
import { emailAdapter } from "../protocols/email/adapter.js";
import { httpAdapter } from "../protocols/http/adapter.js";
import { modbusAdapter } from "../protocols/modbus/adapter.js";
import { snmpAdapter } from "../protocols/snmp/adapter.js";
import { sshAdapter } from "../protocols/ssh/adapter.js";
import { syslogAdapter } from "../protocols/syslog/adapter.js";
import { telnetAdapter } from "../protocols/telnet/adapter.js";
import type { GatewayConfig } from "./config-schema.js";

/** A protocol adapter and where its config section is. */
export interface AdapterEntry {
  readonly adapter: Adapter<never>;
  readonly section: (config: GatewayConfig) => { enabled: boolean } & object;
}

/** A core service and its config section. */
export interface ServiceEntry {
  readonly service: CoreService<never>;
  readonly section: (config: GatewayConfig) => object;
}

/**
 * Every protocol adapter the gateway can run, in start order. Add one line per adapter:
 *   { adapter: modbusAdapter, section: (c) => c.protocols.modbus },
 */
export const ADAPTERS: readonly AdapterEntry[] = [
  { adapter: modbusAdapter, section: (c) => c.protocols.modbus },
  { adapter: bacnetAdapter, section: (c) => c.protocols.bacnet },
  { adapter: snmpAdapter, section: (c) => c.protocols.snmp },
  {
    adapter: syslogAdapter,
    section: (c) => ({ enabled: c.notifications.syslog.some((d) => d.enabled), destinations: c.notifications.syslog }),
  },
  { adapter: emailAdapter, section: (c) => c.notifications.email },
  { adapter: sshAdapter, section: (c) => c.protocols.ssh },
  { adapter: telnetAdapter, section: (c) => c.protocols.telnet },
  { adapter: httpAdapter, section: (c) => c.protocols.http },
];

/** Core services, started before the poller so their derivers see the first sweep. */
export const SERVICES: readonly ServiceEntry[] = [
  // The event log first: it stamps each event's sequence number before any other listener sees it.
  { service: eventLogService, section: (c) => c.eventLog },
  // Analysis before alarms: SOC and charge state are derived before SOC-low (204) and thermal runaway read them.
  // Plant time follows the in-process simulator's time scale.
  {
    service: analysisService,
    section: (c) => ({ ...c.analysis, plantTimeScale: c.simulator.enabled ? c.simulator.timeScale : 1 }),
  },
  // Equalization before alarms: its deriver marks failed blocks (2) before alarm 112 is evaluated in the same commit.
  { service: equalizationService, section: (c) => c.equalization },
  { service: alarmsService, section: (c) => c.alarms },
  { service: protectionService, section: (c) => c.protection },
  { service: historyService, section: (c) => c.history },
];
