/**
 * Event and alarm records shared by every part of the gateway. The alarm catalogue (event ids, severities,
 * thresholds) lives in the alarms module; these are the shapes that travel on the bus and into the event log.
 */

export const SEVERITIES = ["info", "warning", "critical"] as const;
export type Severity = (typeof SEVERITIES)[number];

/** What happened: an alarm transition, a plain event (device, discharge, output) or an audit record. */
export type EventKind = "alarm-raised" | "alarm-cleared" | "alarm-acknowledged" | "event" | "audit";

export interface EventRecord {
  /** Sequence number assigned by the event log; 0 until persisted. */
  readonly seq: number;
  readonly time: number;
  readonly kind: EventKind;
  /** Stable numeric id from the event catalogue. */
  readonly eventId: number;
  /** Stable name from the event catalogue, e.g. `block-voltage-high`. */
  readonly name: string;
  readonly severity: Severity;
  /** Configured string id and 1-based block number the event concerns, if any. */
  readonly stringId?: number;
  readonly block?: number;
  readonly value?: number;
  readonly threshold?: number;
  readonly user?: string;
  /** Extra key/values (protocol, remote address, provider, outcome …) — never secrets. */
  readonly detail?: Readonly<Record<string, string>>;
  readonly text: string;
}

export interface ActiveAlarm {
  /** Unique per occurrence. */
  readonly id: number;
  readonly eventId: number;
  readonly name: string;
  readonly severity: Severity;
  readonly stringId?: number;
  readonly block?: number;
  readonly raisedAt: number;
  readonly value?: number;
  readonly threshold?: number;
  readonly text: string;
  readonly acknowledgedAt?: number;
  readonly acknowledgedBy?: string;
  /** Latched alarms stay active after the condition clears until acknowledged. */
  readonly latched?: boolean;
}

export interface AlarmSummary {
  readonly critical: number;
  readonly warning: number;
  readonly info: number;
  readonly unacknowledged: number;
  /** Active alarm count per configured string id. */
  readonly byString: Readonly<Record<string, number>>;
}
