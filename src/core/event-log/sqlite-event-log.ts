import Database from "better-sqlite3";
import { type EventKind, type EventRecord, SEVERITIES, type Severity } from "../events.js";
import type { EventLog, EventQuery } from "./types.js";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY,
  time INTEGER NOT NULL,
  kind INTEGER NOT NULL,
  event_id INTEGER NOT NULL,
  name TEXT NOT NULL,
  severity INTEGER NOT NULL,
  string_id INTEGER,
  block INTEGER,
  value REAL,
  threshold REAL,
  user TEXT,
  detail TEXT,
  text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_time ON events (time);
CREATE INDEX IF NOT EXISTS events_place ON events (string_id, block, time);
CREATE INDEX IF NOT EXISTS events_id ON events (event_id, time);
`;

interface Row {
  seq: number;
  time: number;
  kind: number;
  event_id: number;
  name: string;
  severity: number;
  string_id: number | null;
  block: number | null;
  value: number | null;
  threshold: number | null;
  user: string | null;
  detail: string | null;
  text: string;
}

/** Stored as small integers; the order is part of the file format — append only. */
const KINDS = [
  "alarm-raised",
  "alarm-cleared",
  "alarm-acknowledged",
  "event",
  "audit",
] as const satisfies readonly EventKind[];

const list = <T>(x: T | readonly T[] | undefined): readonly T[] | undefined =>
  x === undefined ? undefined : Array.isArray(x) ? (x as readonly T[]) : [x as T];

/**
 * The event log on SQLite (WAL). `append` stamps the sequence number at once and queues the record; a timer writes
 * the queue in one transaction, so the bus never waits for the disk and a crash loses at most one flush interval.
 */
export class SqliteEventLog implements EventLog {
  private readonly db: Database.Database;
  private readonly insert: Database.Statement;
  private queue: EventRecord[] = [];
  private seq: number;
  private timer: NodeJS.Timeout | undefined;
  /** Called after each committed batch with the last sequence number written (tests, the SIGKILL child). */
  onCommit: ((lastSeq: number) => void) | undefined;

  constructor(
    file: string,
    private readonly options: { flushInterval: number; maxAge: number; maxSizeMB: number },
  ) {
    this.db = new Database(file);
    this.db.pragma("journal_mode = WAL");
    // NORMAL in WAL mode: a committed transaction survives a process crash; only power loss may undo the last one.
    this.db.pragma("synchronous = NORMAL");
    this.db.exec(SCHEMA);
    this.insert = this.db.prepare(
      `INSERT INTO events (seq, time, kind, event_id, name, severity, string_id, block, value, threshold, user, detail, text)
       VALUES (@seq, @time, @kind, @event_id, @name, @severity, @string_id, @block, @value, @threshold, @user, @detail, @text)`,
    );
    this.seq = (this.db.prepare("SELECT max(seq) AS seq FROM events").get() as { seq: number | null }).seq ?? 0;
  }

  /** Stamps the record's sequence number and queues it for the next batch. */
  append(record: EventRecord): EventRecord {
    this.seq++;
    // The log is the bus's first listener: stamping the record lets every later listener see its seq.
    (record as { seq: number }).seq = this.seq;
    this.queue.push(record);
    this.timer ??= setTimeout(() => this.write(), this.options.flushInterval);
    return record;
  }

  /** Writes the queue in one transaction. */
  write(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.queue;
    this.queue = [];
    if (batch.length > 0) {
      this.db.transaction((records: EventRecord[]) => {
        for (const r of records) this.insert.run(toRow(r));
      })(batch);
      this.onCommit?.((batch[batch.length - 1] as EventRecord).seq);
    }
  }

  flush(): Promise<void> {
    this.write();
    return Promise.resolve();
  }

  lastSeq(): number {
    return this.seq;
  }

  query(query: EventQuery = {}): EventRecord[] {
    const { where, params } = whereOf(query);
    const order = query.order === "asc" ? "ASC" : "DESC";
    const limit = Math.min(Math.max(1, query.limit ?? 1000), 100_000);
    const rows = this.db
      .prepare(`SELECT * FROM events ${where} ORDER BY seq ${order} LIMIT ${limit}`)
      .all(params) as Row[];
    return rows.map(fromRow);
  }

  count(query: EventQuery = {}): number {
    const { where, params } = whereOf(query);
    return (this.db.prepare(`SELECT count(*) AS n FROM events ${where}`).get(params) as { n: number }).n;
  }

  exportCsv(query: EventQuery = {}): string {
    const header = "seq,time,kind,event_id,name,severity,string,block,value,threshold,user,text,detail";
    const lines = [header];
    for (const r of this.query({ ...query, order: "asc", limit: query.limit ?? 100_000 }))
      lines.push(
        [
          r.seq,
          new Date(r.time).toISOString(),
          r.kind,
          r.eventId,
          r.name,
          r.severity,
          r.stringId ?? "",
          r.block ?? "",
          r.value ?? "",
          r.threshold ?? "",
          r.user ?? "",
          r.text,
          r.detail ? JSON.stringify(r.detail) : "",
        ]
          .map(csvField)
          .join(","),
      );
    return `${lines.join("\r\n")}\r\n`;
  }

  /** Deletes events older than maxAge, then the oldest until the used size is under 90 % of maxSizeMB. */
  prune(now = Date.now()): { deleted: number } {
    this.write();
    let deleted = this.db.prepare("DELETE FROM events WHERE time < ?").run(now - this.options.maxAge).changes;
    const used = this.usedBytes();
    const max = this.options.maxSizeMB * 1024 * 1024;
    if (used > max) {
      const total = this.count();
      const remove = Math.ceil(total * (1 - (0.9 * max) / used));
      deleted += this.db
        .prepare("DELETE FROM events WHERE seq IN (SELECT seq FROM events ORDER BY seq ASC LIMIT ?)")
        .run(remove).changes;
    }
    if (deleted > 0) this.db.pragma("wal_checkpoint(PASSIVE)");
    return { deleted };
  }

  /** Bytes held by live pages (freed pages are reused, so this is what retention bounds). */
  usedBytes(): number {
    const pages = this.db.pragma("page_count", { simple: true }) as number;
    const free = this.db.pragma("freelist_count", { simple: true }) as number;
    const size = this.db.pragma("page_size", { simple: true }) as number;
    return (pages - free) * size;
  }

  close(): void {
    this.write();
    this.db.close();
  }
}

function whereOf(q: EventQuery): { where: string; params: Record<string, number | string> } {
  const clauses: string[] = [];
  const params: Record<string, number | string> = {};
  const inList = (column: string, name: string, values: readonly (number | string)[]) => {
    const keys = values.map((v, i) => {
      params[`${name}${i}`] = v;
      return `@${name}${i}`;
    });
    clauses.push(`${column} IN (${keys.join(", ") || "NULL"})`);
  };
  if (q.from !== undefined) {
    clauses.push("time >= @from");
    params.from = q.from;
  }
  if (q.to !== undefined) {
    clauses.push("time < @to");
    params.to = q.to;
  }
  const severities = list(q.severity);
  if (severities) inList("severity", "sev", severities.map(severityCode));
  if (q.minSeverity !== undefined) {
    clauses.push("severity >= @minSeverity");
    params.minSeverity = severityCode(q.minSeverity);
  }
  if (q.stringId !== undefined) {
    clauses.push("string_id = @stringId");
    params.stringId = q.stringId;
  }
  if (q.block !== undefined) {
    clauses.push("block = @block");
    params.block = q.block;
  }
  const ids = list(q.eventId);
  if (ids) inList("event_id", "id", ids);
  const kinds = list(q.kind);
  if (kinds) inList("kind", "kind", kinds.map(kindCode));
  if (q.user !== undefined) {
    clauses.push("user = @user");
    params.user = q.user;
  }
  if (q.afterSeq !== undefined) {
    clauses.push("seq > @afterSeq");
    params.afterSeq = q.afterSeq;
  }
  return { where: clauses.length ? `WHERE ${clauses.join(" AND ")}` : "", params };
}

const severityCode = (s: Severity) => SEVERITIES.indexOf(s);
const kindCode = (k: EventKind) => KINDS.indexOf(k);

function toRow(r: EventRecord): Row {
  return {
    seq: r.seq,
    time: Math.round(r.time),
    kind: kindCode(r.kind),
    event_id: r.eventId,
    name: r.name,
    severity: severityCode(r.severity),
    string_id: r.stringId ?? null,
    block: r.block ?? null,
    value: r.value ?? null,
    threshold: r.threshold ?? null,
    user: r.user ?? null,
    detail: r.detail ? JSON.stringify(r.detail) : null,
    text: r.text,
  };
}

function fromRow(row: Row): EventRecord {
  return {
    seq: row.seq,
    time: row.time,
    kind: KINDS[row.kind] ?? "event",
    eventId: row.event_id,
    name: row.name,
    severity: SEVERITIES[row.severity] ?? "info",
    ...(row.string_id !== null ? { stringId: row.string_id } : {}),
    ...(row.block !== null ? { block: row.block } : {}),
    ...(row.value !== null ? { value: row.value } : {}),
    ...(row.threshold !== null ? { threshold: row.threshold } : {}),
    ...(row.user !== null ? { user: row.user } : {}),
    ...(row.detail !== null ? { detail: JSON.parse(row.detail) as Record<string, string> } : {}),
    text: row.text,
  };
}

function csvField(value: string | number): string {
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
