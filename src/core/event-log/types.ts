import type { EventKind, EventRecord, Severity } from "../events.js";

/** Filter for event-log queries; every field is optional and they combine with AND. */
export interface EventQuery {
  /** Inclusive start, ms since the epoch. */
  readonly from?: number;
  /** Exclusive end, ms since the epoch. */
  readonly to?: number;
  readonly severity?: Severity | readonly Severity[];
  /** Only events at or above this severity (info < warning < critical). */
  readonly minSeverity?: Severity;
  readonly stringId?: number;
  readonly block?: number;
  readonly eventId?: number | readonly number[];
  readonly kind?: EventKind | readonly EventKind[];
  readonly user?: string;
  /** Only events with a larger sequence number (paging, tailing). */
  readonly afterSeq?: number;
  /** Newest first (default) or oldest first. */
  readonly order?: "asc" | "desc";
  /** Default 1000, at most 100 000. */
  readonly limit?: number;
}

/**
 * The persistent event log: every alarm transition, device event and audit record on the bus, with a sequence
 * number. The console, web and REST API read it through this interface; SQLite is the embedded implementation.
 */
export interface EventLog {
  query(query?: EventQuery): EventRecord[];
  count(query?: EventQuery): number;
  /** The matching events as CSV (header line, RFC 4180 quoting, ISO 8601 UTC times), oldest first. */
  exportCsv(query?: EventQuery): string;
  /** Sequence number of the newest persisted event (0 when empty). */
  lastSeq(): number;
  /** Writes everything queued so far; resolves when it is committed. */
  flush(): Promise<void>;
}
