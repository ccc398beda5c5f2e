import Database from "better-sqlite3";
import { resolutionOf } from "./series.js";

import type { HistoryBucket, HistoryColumns, HistoryResolution, HistorySample, HistoryStore } from "./types.js";

/**
 * Integer keys and WITHOUT ROWID tables clustered by (series, time): a range query for one series reads one
 * contiguous run of pages. Times are seconds (raw), minutes or hours since the epoch; values are integers in steps
 * of the point's resolution — a raw row is about 15 bytes.
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS raw (
  series INTEGER NOT NULL, time INTEGER NOT NULL, value INTEGER NOT NULL,
  PRIMARY KEY (series, time)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS minute (
  series INTEGER NOT NULL, time INTEGER NOT NULL, min INTEGER NOT NULL, avg REAL NOT NULL, max INTEGER NOT NULL,
  count INTEGER NOT NULL, PRIMARY KEY (series, time)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS hour (
  series INTEGER NOT NULL, time INTEGER NOT NULL, min INTEGER NOT NULL, avg REAL NOT NULL, max INTEGER NOT NULL,
  count INTEGER NOT NULL, PRIMARY KEY (series, time)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS series (id INTEGER PRIMARY KEY);
`;

/** Divides by the inverse of sub-unit steps, so 13354 × 0.001 reads back as exactly 13.354. */
function decoder(step: number): (n: number) => number {
  if (step >= 1) return (n) => n * step;
  const inverse = Math.round(1 / step);
  return (n) => n / inverse;
}

const UNIT_MS: Readonly<Record<HistoryResolution, number>> = { raw: 1000, minute: 60_000, hour: 3_600_000 };

type BucketRow = [time: number, min: number, avg: number, max: number, count: number];

export interface SqliteHistoryOptions {
  /** Commit queued rows at least this often, ms. */
  readonly flushInterval: number;
  /** …or when this many are queued. */
  readonly flushRows: number;
  /** Called after each commit with the rows written, and how many of them were raw samples (tests, health). */
  readonly onCommit?: (rows: number, rawRows: number) => void;
  /** SQLite page cache of this connection, MB (the pages beyond it come from the OS file cache). */
  readonly cacheMB?: number;
  /**
   * Called when a background write fails; its rows are dropped (so a full disk cannot grow the queue without
   * bound). Without it the error is thrown from the timer.
   */
  readonly onError?: (error: Error, rowsDropped: number) => void;
}

/**
 * Rows per transaction when writing in the background: a minute roll-up at 10,000 blocks is 120,000 bucket rows,
 * which written in one transaction held the event loop for over a second.
 */
const BACKGROUND_CHUNK_ROWS = 5000;

/**
 * Queued rows, column-wise in typed arrays that are kept and reused once written: queuing allocates nothing. (As
 * one object per row, every queued sample outlived the young generation and was collected as old garbage.)
 */
class ColumnQueue<K extends string> {
  columns: Record<K, Float64Array>;
  length = 0;
  written = 0;
  private capacity = 1024;

  constructor(private readonly keys: readonly K[]) {
    this.columns = Object.fromEntries(keys.map((k) => [k, new Float64Array(this.capacity)])) as Record<K, Float64Array>;
  }

  /** Index of a new row; the caller fills its columns. */
  add(): number {
    if (this.length === this.capacity) {
      this.capacity *= 2;
      for (const k of this.keys) {
        const bigger = new Float64Array(this.capacity);
        bigger.set(this.columns[k]);
        this.columns[k] = bigger;
      }
    }
    return this.length++;
  }

  get pending(): number {
    return this.length - this.written;
  }

  /** Rows before `end` are written; once all are, the queue starts again from row 0. */
  writtenUpTo(end: number): void {
    this.written = end;
    if (end === this.length) this.length = this.written = 0;
  }
}

const MINUTE = 0;
const HOUR = 1;

export class SqliteHistoryStore implements HistoryStore {
  private readonly db: Database.Database;
  private readonly insertRaw: Database.Statement;
  private readonly upsert: Record<"minute" | "hour", Database.Statement>;
  private readonly insertSeries: Database.Statement;
  private readonly knownSeries = new Set<number>();
  private readonly raw = new ColumnQueue(["series", "time", "value"]);
  private readonly buckets = new ColumnQueue(["resolution", "series", "time", "min", "avg", "max", "count"]);
  private timer: NodeJS.Timeout | undefined;
  private drain: NodeJS.Immediate | undefined;

  constructor(
    file: string,
    private readonly options: SqliteHistoryOptions,
  ) {
    this.db = new Database(file);
    this.db.pragma("journal_mode = WAL");
    // NORMAL in WAL mode: committed batches survive a process crash; the file is never left corrupt.
    this.db.pragma("synchronous = NORMAL");
    this.db.pragma(`cache_size = -${Math.round((options.cacheMB ?? 16) * 1024)}`);
    this.db.exec(SCHEMA);
    this.insertRaw = this.db.prepare("INSERT OR REPLACE INTO raw (series, time, value) VALUES (?, ?, ?)");
    const upsert = (table: string) =>
      this.db.prepare(`INSERT OR REPLACE INTO ${table} (series, time, min, avg, max, count) VALUES (?, ?, ?, ?, ?, ?)`);
    this.upsert = { minute: upsert("minute"), hour: upsert("hour") };
    this.insertSeries = this.db.prepare("INSERT OR IGNORE INTO series (id) VALUES (?)");
    for (const row of this.db.prepare("SELECT id FROM series").raw().all() as [number][]) this.knownSeries.add(row[0]);
  }

  appendSample(series: number, time: number, value: number): void {
    this.queueSample(series, time, value);
    this.schedule();
  }

  appendRaw(samples: readonly HistorySample[]): void {
    for (const s of samples) this.queueSample(s.series, s.time, s.value);
    this.schedule();
  }

  appendBucket(resolution: "minute" | "hour", bucket: HistoryBucket): void {
    this.queueBucket(resolution, bucket);
    this.schedule();
  }

  appendBuckets(resolution: "minute" | "hour", buckets: readonly HistoryBucket[]): void {
    for (const bucket of buckets) this.queueBucket(resolution, bucket);
    this.schedule();
  }

  private queueSample(series: number, time: number, value: number): void {
    const q = this.raw;
    const i = q.add();
    q.columns.series[i] = series;
    q.columns.time[i] = time;
    q.columns.value[i] = value;
  }

  private queueBucket(resolution: "minute" | "hour", b: HistoryBucket): void {
    const q = this.buckets;
    const i = q.add();
    const c = q.columns;
    c.resolution[i] = resolution === "minute" ? MINUTE : HOUR;
    c.series[i] = b.series;
    c.time[i] = b.time;
    c.min[i] = b.min;
    c.avg[i] = b.avg;
    c.max[i] = b.max;
    c.count[i] = b.count;
  }

  private get queued(): number {
    return this.raw.pending + this.buckets.pending;
  }

  private schedule(): void {
    if (this.drain) return;
    if (this.queued >= this.options.flushRows) this.writeInBackground();
    else this.timer ??= setTimeout(() => this.writeInBackground(), this.options.flushInterval);
  }

  /** Writes the queue in chunks, yielding to the event loop between them. */
  private writeInBackground(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.drain = undefined;
    this.write(BACKGROUND_CHUNK_ROWS);
    if (this.queued > 0) this.drain = setImmediate(() => this.writeInBackground());
  }

  /** Writes everything queued now, in one transaction. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    clearImmediate(this.drain);
    this.drain = undefined;
    this.write(Number.POSITIVE_INFINITY);
  }

  /** Writes up to `limit` queued rows (raw samples first) in one transaction. */
  private write(limit: number): void {
    const raw = this.raw;
    const buckets = this.buckets;
    const rawStart = raw.written;
    const rawEnd = Math.min(raw.length, rawStart + limit);
    const bucketsStart = buckets.written;
    const bucketsEnd = Math.min(buckets.length, bucketsStart + limit - (rawEnd - rawStart));
    const rawRows = rawEnd - rawStart;
    const rows = rawRows + bucketsEnd - bucketsStart;
    if (rows === 0) return;
    try {
      this.transaction(raw, rawStart, rawEnd, buckets, bucketsStart, bucketsEnd);
    } catch (error) {
      if (!this.options.onError) throw error;
      this.options.onError(error as Error, rows);
      return;
    } finally {
      raw.writtenUpTo(rawEnd);
      buckets.writtenUpTo(bucketsEnd);
    }
    this.options.onCommit?.(rows, rawRows);
  }

  private transaction(
    raw: ColumnQueue<"series" | "time" | "value">,
    rawStart: number,
    rawEnd: number,
    buckets: ColumnQueue<"resolution" | "series" | "time" | "min" | "avg" | "max" | "count">,
    bucketsStart: number,
    bucketsEnd: number,
  ): void {
    this.db.transaction(() => {
      const { series, time, value } = raw.columns;
      for (let i = rawStart; i < rawEnd; i++) {
        const id = series[i] as number;
        this.remember(id);
        this.insertRaw.run(
          id,
          Math.floor((time[i] as number) / 1000),
          Math.round((value[i] as number) / resolutionOf(id)),
        );
      }
      const b = buckets.columns;
      for (let i = bucketsStart; i < bucketsEnd; i++) {
        const id = b.series[i] as number;
        const resolution = b.resolution[i] === MINUTE ? "minute" : "hour";
        this.remember(id);
        const step = resolutionOf(id);
        this.upsert[resolution].run(
          id,
          Math.floor((b.time[i] as number) / UNIT_MS[resolution]),
          Math.round((b.min[i] as number) / step),
          (b.avg[i] as number) / step,
          Math.round((b.max[i] as number) / step),
          b.count[i] as number,
        );
      }
    })();
  }

  private remember(series: number): void {
    if (this.knownSeries.has(series)) return;
    this.knownSeries.add(series);
    this.insertSeries.run(series);
  }

  read(series: number, resolution: HistoryResolution, from: number, to: number): HistoryColumns {
    const unit = UNIT_MS[resolution];
    const decode = decoder(resolutionOf(series));
    const lo = Math.ceil(from / unit);
    const hi = Math.ceil(to / unit);
    if (resolution === "raw") {
      // One packed number per row (time offset × 2^32 + biased value): plucking a scalar is several times faster
      // than building a row array, which is what keeps a string-day query fast.
      const select = this.statement(
        "SELECT (time - ?) * 4294967296 + (value + 2147483648) FROM raw WHERE series = ? AND time >= ? AND time < ? ORDER BY time",
      ).pluck();
      // Offsets must stay below 2^21 for the packing to be exact: read in spans of 2^20 s (12 days).
      const chunks: [base: number, rows: number[]][] = [];
      for (let base = lo; base < hi; base += 2 ** 20)
        chunks.push([base, select.all(base, series, base, Math.min(hi, base + 2 ** 20)) as number[]]);
      const total = chunks.reduce((n, [, rows]) => n + rows.length, 0);
      const time = new Float64Array(total);
      const value = new Float64Array(total);
      let i = 0;
      for (const [base, rows] of chunks)
        for (const packed of rows) {
          const offset = Math.floor(packed / 4294967296);
          time[i] = (base + offset) * unit;
          value[i] = decode(packed - offset * 4294967296 - 2147483648);
          i++;
        }
      return { time, min: value, avg: value, max: value, count: new Float64Array(total).fill(1) };
    }
    const rows = this.statement(
      `SELECT time, min, avg, max, count FROM ${resolution} WHERE series = ? AND time >= ? AND time < ? ORDER BY time`,
    )
      .raw()
      .all(series, lo, hi) as BucketRow[];
    const out = {
      time: new Float64Array(rows.length),
      min: new Float64Array(rows.length),
      avg: new Float64Array(rows.length),
      max: new Float64Array(rows.length),
      count: new Float64Array(rows.length),
    };
    rows.forEach(([t, min, avg, max, count], i) => {
      out.time[i] = t * unit;
      out.min[i] = decode(min);
      out.avg[i] = decode(avg);
      out.max[i] = decode(max);
      out.count[i] = count;
    });
    return out;
  }

  bucket(series: number, resolution: "minute" | "hour", time: number): HistoryBucket | undefined {
    const c = this.read(series, resolution, time, time + UNIT_MS[resolution]);
    if (c.time.length === 0) return undefined;
    return {
      series,
      time: c.time[0] as number,
      min: c.min[0] as number,
      avg: c.avg[0] as number,
      max: c.max[0] as number,
      count: c.count[0] as number,
    };
  }

  prune(cutoff: Readonly<Record<HistoryResolution, number>>): number {
    this.flush();
    let deleted = 0;
    const ids = [...this.knownSeries];
    for (const resolution of ["raw", "minute", "hour"] as const) {
      const limit = Math.floor(cutoff[resolution] / UNIT_MS[resolution]);
      const del = this.statement(`DELETE FROM ${resolution} WHERE series = ? AND time < ?`);
      // One short transaction per table: range deletes per series walk the clustered key, never the whole table.
      this.db.transaction(() => {
        for (const id of ids) deleted += del.run(id, limit).changes;
      })();
    }
    return deleted;
  }

  /** Checkpoint and integrity helpers for tools and tests. */
  integrityCheck(): string {
    return this.db.pragma("integrity_check", { simple: true }) as string;
  }

  private readonly statements = new Map<string, Database.Statement>();
  private statement(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  close(): void {
    this.flush();
    this.db.close();
  }
}
