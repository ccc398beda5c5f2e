/**
 * Projection of the event catalogue onto syslog: severity, MSGID and the `bms@32473` structured data. 32473 is the
 * RFC 5612 documentation enterprise number, the project's placeholder until it has its own (see DESIGN.md).
 */
import type { EventRecord, Severity } from "../../core/events.js";
import type { StructuredElement } from "./codec.js";

export const ENTERPRISE_NUMBER = 32473;
export const SD_ID = `bms@${ENTERPRISE_NUMBER}`;

/** Syslog severities (RFC 5424 §6.2.1). */
export const SYSLOG_SEVERITY = {
  emergency: 0,
  alert: 1,
  critical: 2,
  error: 3,
  warning: 4,
  notice: 5,
  informational: 6,
  debug: 7,
} as const;

const BY_EVENT_SEVERITY: Record<Severity, number> = {
  critical: SYSLOG_SEVERITY.critical,
  warning: SYSLOG_SEVERITY.warning,
  info: SYSLOG_SEVERITY.informational,
};

/**
 * The syslog severity of a record: raised alarms, events and audit records by their catalogue severity
 * (critical → 2, warning → 4, info → 6); a cleared or acknowledged alarm is no longer a fault, so it is 5 (notice).
 */
export function syslogSeverity(record: Pick<EventRecord, "kind" | "severity">): number {
  if (record.kind === "alarm-cleared" || record.kind === "alarm-acknowledged") return SYSLOG_SEVERITY.notice;
  return BY_EVENT_SEVERITY[record.severity];
}

/** Catalogue names longer than MSGID's 32 characters, shortened once here so they stay stable. */
const SHORT_MSGID: Readonly<Record<string, string>> = {
  "block-resistance-baseline-warning": "block-resistance-baseline-warn",
};

/** MSGID: the event's catalogue name (at most 32 printable characters, RFC 5424 §6.2.7). */
export function msgId(name: string): string {
  const id = SHORT_MSGID[name] ?? name;
  return id.replace(/[^!-~]/g, "_").slice(0, 32);
}

const STATE: Partial<Record<EventRecord["kind"], string>> = {
  "alarm-raised": "raised",
  "alarm-cleared": "cleared",
  "alarm-acknowledged": "acknowledged",
};

/** Numbers as the shortest text that keeps 6 significant digits: 1.712, not 1.7120000000000002. */
export function formatNumber(value: number): string {
  return String(Number(value.toPrecision(6)));
}

/** `[bms@32473 string="1" block="17" event="102" state="raised" value="1.712" threshold="1.75" …]` */
export function structuredData(record: EventRecord): StructuredElement {
  const params: [string, string][] = [];
  if (record.stringId !== undefined) params.push(["string", String(record.stringId)]);
  if (record.block !== undefined) params.push(["block", String(record.block)]);
  params.push(["event", String(record.eventId)]);
  const state = STATE[record.kind];
  if (state) params.push(["state", state]);
  params.push(["kind", record.kind]);
  if (record.value !== undefined) params.push(["value", formatNumber(record.value)]);
  if (record.threshold !== undefined) params.push(["threshold", formatNumber(record.threshold)]);
  if (record.user !== undefined) params.push(["user", record.user]);
  for (const [key, value] of Object.entries(record.detail ?? {})) {
    if (!params.some(([n]) => n === key)) params.push([key, value]);
  }
  return { id: SD_ID, params };
}

export { matchesEventFilter as matchesFilter } from "../../core/event-filter.js";
