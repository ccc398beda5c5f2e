import type { Severity } from "../events.js";

/**
 * The event catalogue: every alarm, event and audit record the gateway emits, with a stable numeric id.
 * SNMP notifications, syslog MSGIDs, Modbus alarm bits and BACnet binary inputs are projections of this list.
 * Never renumber an entry; retire it instead.
 */
export interface EventDefinition {
  readonly eventId: number;
  readonly name: string;
  readonly severity: Severity;
  /** `alarm`: has raised/cleared states; `event`: a one-off occurrence; `audit`: who did what. */
  readonly kind: "alarm" | "event" | "audit";
  readonly scope: "block" | "string" | "system";
  readonly description: string;
  /** Bit in the Modbus/BACnet alarm bitfield of its scope (alarms only), stable like the id. */
  readonly bit?: number;
}

const definitions = [
  // block alarms
  {
    eventId: 101,
    name: "block-voltage-high",
    severity: "warning",
    kind: "alarm",
    scope: "block",
    bit: 0,
    description: "Block voltage above the high warning level.",
  },
  {
    eventId: 102,
    name: "block-voltage-low",
    severity: "warning",
    kind: "alarm",
    scope: "block",
    bit: 1,
    description: "Block voltage below the low warning level.",
  },
  {
    eventId: 103,
    name: "block-voltage-high-alarm",
    severity: "critical",
    kind: "alarm",
    scope: "block",
    bit: 2,
    description: "Block voltage above the high alarm level.",
  },
  {
    eventId: 104,
    name: "block-voltage-low-alarm",
    severity: "critical",
    kind: "alarm",
    scope: "block",
    bit: 3,
    description: "Block voltage below the low alarm level.",
  },
  {
    eventId: 105,
    name: "block-temperature-high",
    severity: "warning",
    kind: "alarm",
    scope: "block",
    bit: 4,
    description: "Block temperature above the high warning level.",
  },
  {
    eventId: 106,
    name: "block-temperature-high-alarm",
    severity: "critical",
    kind: "alarm",
    scope: "block",
    bit: 5,
    description: "Block temperature above the high alarm level.",
  },
  {
    eventId: 107,
    name: "block-temperature-low",
    severity: "warning",
    kind: "alarm",
    scope: "block",
    bit: 6,
    description: "Block temperature below the low level.",
  },
  {
    eventId: 108,
    name: "block-ambient-difference",
    severity: "warning",
    kind: "alarm",
    scope: "block",
    bit: 7,
    description: "Block temperature too far above ambient.",
  },
  {
    eventId: 109,
    name: "block-resistance-high",
    severity: "critical",
    kind: "alarm",
    scope: "block",
    bit: 8,
    description: "Internal resistance above the absolute limit.",
  },
  {
    eventId: 110,
    name: "block-resistance-baseline-warning",
    severity: "warning",
    kind: "alarm",
    scope: "block",
    bit: 9,
    description: "Internal resistance above the warning percentage of its baseline.",
  },
  {
    eventId: 111,
    name: "block-resistance-baseline-alarm",
    severity: "critical",
    kind: "alarm",
    scope: "block",
    bit: 10,
    description: "Internal resistance above the alarm percentage of its baseline.",
  },
  {
    eventId: 112,
    name: "equalization-failed",
    severity: "warning",
    kind: "alarm",
    scope: "block",
    bit: 11,
    description: "Equalization did not bring the block back into the band in time.",
  },
  {
    eventId: 113,
    name: "thermal-runaway",
    severity: "critical",
    kind: "alarm",
    scope: "block",
    bit: 12,
    description: "Block temperature rising above ambient together with rising float current.",
  },
  {
    eventId: 114,
    name: "probe-comm-lost",
    severity: "critical",
    kind: "alarm",
    scope: "block",
    bit: 13,
    description: "The probe of this block stopped answering.",
  },
  {
    eventId: 115,
    name: "probe-identity-mismatch",
    severity: "critical",
    kind: "alarm",
    scope: "block",
    bit: 14,
    description: "The probe answering for this block has the wrong type or serial number.",
  },
  // string alarms and events
  {
    eventId: 201,
    name: "string-voltage-high",
    severity: "warning",
    kind: "alarm",
    scope: "string",
    bit: 0,
    description: "String voltage above the high level.",
  },
  {
    eventId: 202,
    name: "string-voltage-low",
    severity: "warning",
    kind: "alarm",
    scope: "string",
    bit: 1,
    description: "String voltage below the low level.",
  },
  {
    eventId: 203,
    name: "string-voltage-imbalance",
    severity: "warning",
    kind: "alarm",
    scope: "string",
    bit: 2,
    description: "Spread between highest and lowest block voltage too large.",
  },
  {
    eventId: 204,
    name: "string-soc-low",
    severity: "warning",
    kind: "alarm",
    scope: "string",
    bit: 3,
    description: "String state of charge below the low level.",
  },
  {
    eventId: 205,
    name: "string-current-high",
    severity: "warning",
    kind: "alarm",
    scope: "string",
    bit: 4,
    description: "String current magnitude above the limit.",
  },
  {
    eventId: 206,
    name: "discharge",
    severity: "info",
    kind: "alarm",
    scope: "string",
    bit: 5,
    description: "The string is discharging (raised at start, cleared at end).",
  },
  {
    eventId: 207,
    name: "load-disconnect-prealarm",
    severity: "warning",
    kind: "alarm",
    scope: "string",
    bit: 6,
    description: "A block is close to the load-disconnect level.",
  },
  {
    eventId: 208,
    name: "load-disconnect-tripped",
    severity: "critical",
    kind: "alarm",
    scope: "string",
    bit: 7,
    description: "The load-disconnect output is open.",
  },
  {
    eventId: 209,
    name: "charge-disconnect-tripped",
    severity: "critical",
    kind: "alarm",
    scope: "string",
    bit: 8,
    description: "The charge-disconnect output is open.",
  },
  {
    eventId: 210,
    name: "string-sensor-comm-lost",
    severity: "critical",
    kind: "alarm",
    scope: "string",
    bit: 9,
    description: "The string sensor or relay module stopped answering.",
  },
  // protection outputs (src/core/analysis/protection.ts): every transition, with its reason in the text and detail
  {
    eventId: 221,
    name: "protection-output-opened",
    severity: "warning",
    kind: "event",
    scope: "string",
    description: "The gateway opened a protection output (load or charge disconnect); the text says why.",
  },
  {
    eventId: 222,
    name: "protection-output-closed",
    severity: "info",
    kind: "event",
    scope: "string",
    description: "The gateway closed a protection output again (condition cleared past its hysteresis).",
  },
  {
    eventId: 223,
    name: "protection-fail-safe",
    severity: "warning",
    kind: "event",
    scope: "string",
    description: "Protection went to its fail-safe state: block data stale or the relay module not answering.",
  },
  {
    eventId: 224,
    name: "protection-fail-safe-ended",
    severity: "info",
    kind: "event",
    scope: "string",
    description: "Protection left its fail-safe state: data and relay module good again.",
  },
  // system
  {
    eventId: 301,
    name: "system-fault",
    severity: "critical",
    kind: "alarm",
    scope: "system",
    bit: 0,
    description: "An internal component of the gateway failed.",
  },
  {
    eventId: 302,
    name: "environment-sensor-comm-lost",
    severity: "warning",
    kind: "alarm",
    scope: "system",
    bit: 1,
    description: "The environment sensor stopped answering.",
  },
  {
    eventId: 310,
    name: "device-comm-restored",
    severity: "info",
    kind: "event",
    scope: "system",
    description: "A device answers again after a communication loss.",
  },
  {
    eventId: 312,
    name: "device-comm-lost",
    severity: "warning",
    kind: "event",
    scope: "system",
    description: "A device stopped answering (raised by the poller; the matching alarm follows).",
  },
  {
    eventId: 313,
    name: "device-identity-mismatch",
    severity: "warning",
    kind: "event",
    scope: "system",
    description: "A device reported another type or serial number than configured.",
  },
  {
    eventId: 311,
    name: "discovery-mismatch",
    severity: "warning",
    kind: "event",
    scope: "system",
    description: "A bus scan found devices that differ from the configuration.",
  },
  // audit
  {
    eventId: 401,
    name: "login-success",
    severity: "info",
    kind: "audit",
    scope: "system",
    description: "A user logged in.",
  },
  {
    eventId: 402,
    name: "login-failure",
    severity: "warning",
    kind: "audit",
    scope: "system",
    description: "A login attempt failed.",
  },
  {
    eventId: 403,
    name: "config-changed",
    severity: "info",
    kind: "audit",
    scope: "system",
    description: "A setting was changed.",
  },
  {
    eventId: 404,
    name: "alarm-acknowledged",
    severity: "info",
    kind: "audit",
    scope: "system",
    description: "An alarm was acknowledged.",
  },
  {
    eventId: 405,
    name: "remote-write",
    severity: "info",
    kind: "audit",
    scope: "system",
    description: "A value was written over a protocol (Modbus, BACnet, SNMP).",
  },
  {
    eventId: 406,
    name: "command",
    severity: "info",
    kind: "audit",
    scope: "system",
    description: "An operator command was run (equalize, measure, output override, simulator).",
  },
  {
    eventId: 407,
    name: "user-changed",
    severity: "info",
    kind: "audit",
    scope: "system",
    description: "A user account was added, changed or removed.",
  },
] as const satisfies readonly EventDefinition[];

export type EventName = (typeof definitions)[number]["name"];

export const EVENT_CATALOGUE: readonly EventDefinition[] = definitions;

const byName = new Map<string, EventDefinition>(EVENT_CATALOGUE.map((d) => [d.name, d]));
const byId = new Map<number, EventDefinition>(EVENT_CATALOGUE.map((d) => [d.eventId, d]));

export function eventByName(name: EventName): EventDefinition {
  return byName.get(name) as EventDefinition;
}

export function eventById(id: number): EventDefinition | undefined {
  return byId.get(id);
}
