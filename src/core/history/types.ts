import type { PointId } from "../points.js";

/** `auto` picks raw for ranges up to the raw retention, minutes up to 7 days... see `pickResolution`. */
export type HistoryResolution = "raw" | "minute" | "hour";

export interface HistoryQuery {
  readonly point: PointId;
  /** Configured string id; required for string and block points. */
  readonly stringId?: number;
  /** 1-based block number; absent with a block point = every block of the string. */
  readonly block?: number;
  /** Inclusive start and exclusive end, ms since the epoch. */
  readonly from: number;
  readonly to: number;
  /** Default `auto`: raw up to 2 days, per-minute up to 60 days, per-hour beyond. */
  readonly resolution?: HistoryResolution | "auto";
}

/**
 * A run of buckets (or raw samples, where min = avg = max and count = 1) as columns: compact to hold and to send,
 * and fast to build — a string-day is 170,000 values.
 */
export interface HistoryColumns {
  /** Start of each bucket (or the sample time), ms since the epoch. */
  readonly time: Float64Array;
  readonly min: Float64Array;
  readonly avg: Float64Array;
  readonly max: Float64Array;
  readonly count: Float64Array;
}

export interface HistorySeries {
  readonly point: PointId;
  readonly stringId?: number;
  readonly block?: number;
  readonly resolution: HistoryResolution;
  readonly data: HistoryColumns;
}

/** One value to store: which point of which place, when, and the value in the point's unit. */
export interface HistorySample {
  readonly series: number;
  /** ms since the epoch */
  readonly time: number;
  readonly value: number;
}

/** A rolled-up bucket to store. */
export interface HistoryBucket {
  readonly series: number;
  /** Start of the bucket, ms since the epoch. */
  readonly time: number;
  readonly min: number;
  readonly avg: number;
  readonly max: number;
  readonly count: number;
}

/**
 * Storage of measurement history. SQLite (`SqliteHistoryStore`) is the embedded implementation; a server database
 * for fleets implements the same interface. Writes are queued and committed in batches off the poll path.
 */
export interface HistoryStore {
  /** Queues one raw sample. */
  appendSample(series: number, time: number, value: number): void;
  /** Queues raw samples. */
  appendRaw(samples: readonly HistorySample[]): void;
  /** Queues a rolled-up bucket; a bucket written again for the same series and time replaces the earlier one. */
  appendBucket(resolution: "minute" | "hour", bucket: HistoryBucket): void;
  appendBuckets(resolution: "minute" | "hour", buckets: readonly HistoryBucket[]): void;
  /** Commits everything queued in one transaction. */
  flush(): void;
  /** Reads one series. */
  read(series: number, resolution: HistoryResolution, from: number, to: number): HistoryColumns;
  /** The stored bucket of one series at `time` (to resume a running aggregate after a restart). */
  bucket(series: number, resolution: "minute" | "hour", time: number): HistoryBucket | undefined;
  /** Deletes what is older than each resolution's cutoff (ms since the epoch); returns rows deleted. */
  prune(cutoff: Readonly<Record<HistoryResolution, number>>): number;
  close(): void;
}

/** What console, web and REST use: queries by place and point. */
export interface HistoryReader {
  query(query: HistoryQuery): HistorySeries[];
}
