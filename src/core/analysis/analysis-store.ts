import Database from "better-sqlite3";
import type { DischargePoint, DischargeQuery, DischargeRecord, DischargeSummary } from "./types.js";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS discharges (
  id INTEGER PRIMARY KEY, string_id INTEGER NOT NULL, start REAL NOT NULL, end REAL NOT NULL, duration_s REAL NOT NULL,
  ah REAL, wh REAL, peak_current REAL, soc_start REAL, soc_end REAL, min_string_v REAL, min_block_v REAL,
  weakest_block INTEGER, weakest_dev REAL, reached_end INTEGER NOT NULL, capacity_ah REAL, detected_by TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS discharges_by_string ON discharges (string_id, start);
CREATE TABLE IF NOT EXISTS discharge_points (
  discharge_id INTEGER NOT NULL, time REAL NOT NULL, string_v REAL, current REAL, min_block_v REAL, max_block_v REAL
);
CREATE INDEX IF NOT EXISTS discharge_points_by_id ON discharge_points (discharge_id, time);
CREATE TABLE IF NOT EXISTS resistance (string_id INTEGER NOT NULL, block INTEGER NOT NULL, time REAL NOT NULL, value REAL NOT NULL);
CREATE INDEX IF NOT EXISTS resistance_by_block ON resistance (string_id, block, time);
CREATE TABLE IF NOT EXISTS block_state (
  string_id INTEGER NOT NULL, block INTEGER NOT NULL, first_measured REAL, settled_at REAL,
  PRIMARY KEY (string_id, block)
);
CREATE TABLE IF NOT EXISTS string_state (string_id INTEGER PRIMARY KEY, soc REAL, updated REAL);
`;

interface DischargeRow {
  id: number;
  string_id: number;
  start: number;
  end: number;
  duration_s: number;
  ah: number | null;
  wh: number | null;
  peak_current: number | null;
  soc_start: number | null;
  soc_end: number | null;
  min_string_v: number | null;
  min_block_v: number | null;
  weakest_block: number | null;
  weakest_dev: number | null;
  reached_end: number;
  capacity_ah: number | null;
  detected_by: string;
}

const num = (x: number | null): number => (x === null ? Number.NaN : x);
/** SQLite stores NaN as NULL. */
const sql = (x: number): number | null => (Number.isFinite(x) ? x : null);

function toSummary(r: DischargeRow): DischargeSummary {
  return {
    id: r.id,
    stringId: r.string_id,
    start: r.start,
    end: r.end,
    durationSeconds: r.duration_s,
    ampereHours: num(r.ah),
    wattHours: num(r.wh),
    peakCurrent: num(r.peak_current),
    socStart: num(r.soc_start),
    socEnd: num(r.soc_end),
    minStringVoltage: num(r.min_string_v),
    minBlockVoltage: num(r.min_block_v),
    weakestBlock: r.weakest_block ?? 0,
    weakestBlockDeviation: num(r.weakest_dev),
    reachedEndVoltage: r.reached_end === 1,
    capacityAh: num(r.capacity_ah),
    detectedBy: r.detected_by === "voltage" ? "voltage" : "current",
  };
}

export interface BlockState {
  firstMeasured: number;
  settledAt: number;
}

/**
 * The analysis database (`analysis.db` under storage.path, SQLite in WAL mode): discharge records with their
 * curves, the resistance measurement log behind trends, baseline settling state and the last SOC per string.
 * Writes are queued and committed in one transaction per `flushInterval`; a crash loses at most that batch.
 */
export class AnalysisStore {
  private readonly db: Database.Database;
  private queue: (() => void)[] = [];
  private readonly timer: NodeJS.Timeout;

  constructor(file: string, flushInterval = 1000) {
    this.db = new Database(file);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = NORMAL");
    this.db.exec(SCHEMA);
    this.timer = setInterval(() => this.flush(), flushInterval);
    this.timer.unref();
  }

  /** Commits the queued writes in one transaction. */
  flush(): void {
    if (this.queue.length === 0) return;
    const work = this.queue;
    this.queue = [];
    this.db.transaction(() => {
      for (const w of work) w();
    })();
  }

  close(): void {
    clearInterval(this.timer);
    this.flush();
    this.db.close();
  }

  nextDischargeId(): number {
    const row = this.db.prepare("SELECT MAX(id) AS id FROM discharges").get() as { id: number | null };
    return (row.id ?? 0) + 1;
  }

  addDischarge(record: DischargeRecord): void {
    const insert = this.db.prepare(
      `INSERT INTO discharges VALUES (@id, @string_id, @start, @end, @duration_s, @ah, @wh, @peak_current, @soc_start,
       @soc_end, @min_string_v, @min_block_v, @weakest_block, @weakest_dev, @reached_end, @capacity_ah, @detected_by)`,
    );
    const point = this.db.prepare("INSERT INTO discharge_points VALUES (?, ?, ?, ?, ?, ?)");
    this.queue.push(() => {
      insert.run({
        id: record.id,
        string_id: record.stringId,
        start: record.start,
        end: record.end ?? record.start,
        duration_s: record.durationSeconds,
        ah: sql(record.ampereHours),
        wh: sql(record.wattHours),
        peak_current: sql(record.peakCurrent),
        soc_start: sql(record.socStart),
        soc_end: sql(record.socEnd),
        min_string_v: sql(record.minStringVoltage),
        min_block_v: sql(record.minBlockVoltage),
        weakest_block: record.weakestBlock,
        weakest_dev: sql(record.weakestBlockDeviation),
        reached_end: record.reachedEndVoltage ? 1 : 0,
        capacity_ah: sql(record.capacityAh),
        detected_by: record.detectedBy,
      });
      for (const p of record.curve)
        point.run(
          record.id,
          p.time,
          sql(p.stringVoltage),
          sql(p.current),
          sql(p.minBlockVoltage),
          sql(p.maxBlockVoltage),
        );
    });
  }

  discharges(query: DischargeQuery = {}): DischargeSummary[] {
    this.flush();
    const where: string[] = [];
    const params: Record<string, number> = {};
    if (query.stringId !== undefined) {
      where.push("string_id = @stringId");
      params.stringId = query.stringId;
    }
    if (query.from !== undefined) {
      where.push("start >= @from");
      params.from = query.from;
    }
    if (query.to !== undefined) {
      where.push("start < @to");
      params.to = query.to;
    }
    params.limit = Math.min(10_000, Math.max(1, query.limit ?? 100));
    const rows = this.db
      .prepare(
        `SELECT * FROM discharges ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY start DESC LIMIT @limit`,
      )
      .all(params) as DischargeRow[];
    return rows.map(toSummary);
  }

  discharge(id: number): DischargeRecord | undefined {
    this.flush();
    const row = this.db.prepare("SELECT * FROM discharges WHERE id = ?").get(id) as DischargeRow | undefined;
    if (!row) return undefined;
    const points = this.db.prepare("SELECT * FROM discharge_points WHERE discharge_id = ? ORDER BY time").all(id) as {
      time: number;
      string_v: number | null;
      current: number | null;
      min_block_v: number | null;
      max_block_v: number | null;
    }[];
    const curve: DischargePoint[] = points.map((p) => ({
      time: p.time,
      stringVoltage: num(p.string_v),
      current: num(p.current),
      minBlockVoltage: num(p.min_block_v),
      maxBlockVoltage: num(p.max_block_v),
    }));
    return { ...toSummary(row), curve };
  }

  /** Latest capacity implied by a completed discharge, per string id. */
  latestCapacities(): Map<number, number> {
    const rows = this.db
      .prepare(
        `SELECT string_id, capacity_ah FROM discharges d WHERE capacity_ah IS NOT NULL
         AND start = (SELECT MAX(start) FROM discharges e WHERE e.string_id = d.string_id AND e.capacity_ah IS NOT NULL)`,
      )
      .all() as { string_id: number; capacity_ah: number }[];
    return new Map(rows.map((r) => [r.string_id, r.capacity_ah]));
  }

  /** The latest discharge of each string id. */
  latestDischarges(): Map<number, DischargeSummary> {
    const rows = this.db
      .prepare(
        `SELECT * FROM discharges d WHERE start = (SELECT MAX(start) FROM discharges e WHERE e.string_id = d.string_id)`,
      )
      .all() as DischargeRow[];
    return new Map(rows.map((r) => [r.string_id, toSummary(r)]));
  }

  pruneDischarges(before: number): void {
    this.queue.push(() => {
      this.db
        .prepare("DELETE FROM discharge_points WHERE discharge_id IN (SELECT id FROM discharges WHERE start < ?)")
        .run(before);
      this.db.prepare("DELETE FROM discharges WHERE start < ?").run(before);
    });
  }

  addResistance(stringId: number, block: number, time: number, value: number): void {
    const insert = this.db.prepare("INSERT INTO resistance VALUES (?, ?, ?, ?)");
    this.queue.push(() => insert.run(stringId, block, time, value));
  }

  /** The latest `window` measurements of every block, oldest first, keyed "S/B". */
  recentResistances(window: number): Map<string, { time: number; value: number }[]> {
    const rows = this.db
      .prepare(
        `SELECT string_id, block, time, value FROM (
           SELECT *, ROW_NUMBER() OVER (PARTITION BY string_id, block ORDER BY time DESC) AS n FROM resistance
         ) WHERE n <= ? ORDER BY time`,
      )
      .all(window) as { string_id: number; block: number; time: number; value: number }[];
    const out = new Map<string, { time: number; value: number }[]>();
    for (const r of rows) {
      const key = `${r.string_id}/${r.block}`;
      const list = out.get(key) ?? [];
      list.push({ time: r.time, value: r.value });
      out.set(key, list);
    }
    return out;
  }

  blockStates(): Map<string, BlockState> {
    const rows = this.db.prepare("SELECT * FROM block_state").all() as {
      string_id: number;
      block: number;
      first_measured: number | null;
      settled_at: number | null;
    }[];
    return new Map(
      rows.map((r) => [
        `${r.string_id}/${r.block}`,
        { firstMeasured: num(r.first_measured), settledAt: num(r.settled_at) },
      ]),
    );
  }

  setBlockState(stringId: number, block: number, state: BlockState): void {
    const upsert = this.db.prepare(
      `INSERT INTO block_state VALUES (?, ?, ?, ?)
       ON CONFLICT (string_id, block) DO UPDATE SET first_measured = excluded.first_measured, settled_at = excluded.settled_at`,
    );
    this.queue.push(() => upsert.run(stringId, block, sql(state.firstMeasured), sql(state.settledAt)));
  }

  stringSocs(): Map<number, number> {
    const rows = this.db.prepare("SELECT string_id, soc FROM string_state WHERE soc IS NOT NULL").all() as {
      string_id: number;
      soc: number;
    }[];
    return new Map(rows.map((r) => [r.string_id, r.soc]));
  }

  setStringSoc(stringId: number, soc: number, time: number): void {
    const upsert = this.db.prepare(
      `INSERT INTO string_state VALUES (?, ?, ?)
       ON CONFLICT (string_id) DO UPDATE SET soc = excluded.soc, updated = excluded.updated`,
    );
    this.queue.push(() => upsert.run(stringId, sql(soc), time));
  }
}
