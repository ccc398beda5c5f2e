import type { ActiveAlarm, AlarmSummary } from "./events.js";
import { POINTS, type PointDefinition, type PointId, type PointScope, pointById } from "./points.js";
import type { PlantTopology } from "./topology.js";

/**
 * Quality travels with every value. `stale`: no fresh reading yet or the last is too old; `comm-lost`: the device
 * stopped answering; `fault`: the device answered but reports a sensor fault or an implausible value.
 */
export const QUALITIES = ["good", "stale", "comm-lost", "fault"] as const;
export type Quality = (typeof QUALITIES)[number];
export const Q_GOOD = 0;
export const Q_STALE = 1;
export const Q_COMM_LOST = 2;
export const Q_FAULT = 3;

export interface Sample {
  readonly value: number;
  readonly quality: Quality;
  /** Source timestamp, ms since the epoch; 0 when never read. */
  readonly time: number;
}

/**
 * One point's values for every row of its scope, read by row (out of range: NaN, stale, time 0). Snapshots share
 * unchanged columns, and within a changed column its unchanged pages.
 */
export interface PointColumn {
  readonly rows: number;
  value(row: number): number;
  quality(row: number): number;
  /** Source timestamp, ms since the epoch; 0 when never read. */
  time(row: number): number;
}

export type DeviceCommState = "unknown" | "ok" | "comm-lost" | "wrong-device";

export interface DeviceState {
  readonly index: number;
  readonly comm: DeviceCommState;
  readonly serial?: string;
  readonly firmware?: string;
  readonly typeCode?: number;
  readonly lastOk: number;
  readonly transactions: number;
  readonly failures: number;
  readonly consecutiveFailures: number;
  readonly note?: string;
}

export interface PlantSnapshot {
  readonly version: number;
  /** Time the snapshot was committed, ms since the epoch. */
  readonly time: number;
  readonly topology: PlantTopology;
  readonly devices: readonly DeviceState[];
  readonly alarms: readonly ActiveAlarm[];
  readonly alarmSummary: AlarmSummary;
  column(point: PointId): PointColumn;
  sample(point: PointId, row: number): Sample;
  value(point: PointId, row: number): number;
}

export interface PointChange {
  readonly point: PointId;
  readonly scope: PointScope;
  readonly row: number;
  readonly value: number;
  readonly quality: Quality;
  readonly previousValue: number;
  readonly previousQuality: Quality;
}

/** What changed from the previous snapshot to this one. */
export interface ModelDelta {
  readonly fromVersion: number;
  readonly toVersion: number;
  readonly time: number;
  readonly changes: readonly PointChange[];
  readonly devices: readonly DeviceState[];
  readonly alarmsChanged: boolean;
}

function rowsOf(topology: PlantTopology, scope: PointScope): number {
  if (scope === "system") return 1;
  if (scope === "string") return topology.strings.length;
  return topology.blockCount;
}

/**
 * Columns are stored in pages of 256 rows so a commit copies only the pages written since the previous one: at
 * 10,000 blocks and a commit after every device read, copying whole columns allocated ~50 MB/s of typed arrays.
 */
const PAGE_BITS = 8;
const PAGE_ROWS = 1 << PAGE_BITS;
const PAGE_MASK = PAGE_ROWS - 1;

/** One page: values, source times and qualities of up to 256 rows, in one buffer. */
interface Page {
  readonly values: Float64Array;
  readonly time: Float64Array;
  readonly quality: Uint8Array;
}

function pageOver(buffer: ArrayBuffer, rows: number): Page {
  return {
    values: new Float64Array(buffer, 0, rows),
    time: new Float64Array(buffer, rows * 8, rows),
    quality: new Uint8Array(buffer, rows * 16, rows),
  };
}

function emptyPage(rows: number): Page {
  const page = pageOver(new ArrayBuffer(rows * 17), rows);
  page.values.fill(Number.NaN);
  page.quality.fill(Q_STALE);
  return page;
}

function copyPage(page: Page): Page {
  return pageOver((page.values.buffer as ArrayBuffer).slice(0), page.values.length);
}

function emptyPages(rows: number): Page[] {
  const pages: Page[] = [];
  for (let first = 0; first < rows; first += PAGE_ROWS) pages.push(emptyPage(Math.min(PAGE_ROWS, rows - first)));
  return pages;
}

class PagedColumn implements PointColumn {
  constructor(
    readonly rows: number,
    readonly pages: readonly Page[],
  ) {}

  value(row: number): number {
    return this.pages[row >>> PAGE_BITS]?.values[row & PAGE_MASK] ?? Number.NaN;
  }

  quality(row: number): number {
    return this.pages[row >>> PAGE_BITS]?.quality[row & PAGE_MASK] ?? Q_STALE;
  }

  time(row: number): number {
    return this.pages[row >>> PAGE_BITS]?.time[row & PAGE_MASK] ?? 0;
  }
}

/** The writers' copy of a column, with the pages written since the last commit. */
class WorkingColumn extends PagedColumn {
  private readonly dirty: Uint8Array;
  private dirtyPages: number[] = [];

  constructor(rows: number) {
    const pages = emptyPages(rows);
    super(rows, pages);
    this.dirty = new Uint8Array(pages.length);
  }

  /** The page holding `row` (which must be in range), marked as written. */
  pageFor(row: number): Page {
    const index = row >>> PAGE_BITS;
    if (this.dirty[index] === 0) {
      this.dirty[index] = 1;
      this.dirtyPages.push(index);
    }
    return this.pages[index] as Page;
  }

  /** A frozen column: `previous` with the written pages replaced by copies; clears the written marks. */
  freeze(previous: PagedColumn): PagedColumn {
    const pages = previous.pages.slice();
    for (const index of this.dirtyPages) {
      pages[index] = copyPage(this.pages[index] as Page);
      this.dirty[index] = 0;
    }
    this.dirtyPages = [];
    return new PagedColumn(this.rows, pages);
  }
}

const EMPTY_SUMMARY: AlarmSummary = { critical: 0, warning: 0, info: 0, unacknowledged: 0, byString: {} };

class Snapshot implements PlantSnapshot {
  constructor(
    readonly version: number,
    readonly time: number,
    readonly topology: PlantTopology,
    private readonly columns: ReadonlyMap<string, PointColumn>,
    readonly devices: readonly DeviceState[],
    readonly alarms: readonly ActiveAlarm[],
    readonly alarmSummary: AlarmSummary,
  ) {}

  column(point: PointId): PointColumn {
    const c = this.columns.get(point);
    if (!c) throw new Error(`unknown point ${point}`);
    return c;
  }

  sample(point: PointId, row: number): Sample {
    const c = this.column(point);
    if (!(row >= 0 && row < c.rows)) throw new RangeError(`row ${row} out of range for ${point}`);
    return { value: c.value(row), quality: QUALITIES[c.quality(row)] ?? "stale", time: c.time(row) };
  }

  value(point: PointId, row: number): number {
    return this.column(point).value(row);
  }
}

/**
 * Computes derived values before a snapshot is frozen, on every commit. `dirtyStrings` are the string indexes whose
 * blocks changed; `changes` what was written since the last commit (derivers may append by writing).
 */
export type Deriver = (model: WorkingModel, dirtyStrings: ReadonlySet<number>, changes: readonly PointChange[]) => void;

/** Write access to the model between commits; only the poller, analysis and the store's owner hold it. */
export interface WorkingModel {
  readonly topology: PlantTopology;
  write(point: PointId, row: number, value: number, quality: number, time: number): void;
  read(point: PointId, row: number): number;
  quality(point: PointId, row: number): number;
  updateDevice(index: number, patch: Partial<Omit<DeviceState, "index">>): void;
  device(index: number): DeviceState;
  setAlarms(alarms: readonly ActiveAlarm[], summary: AlarmSummary): void;
}

/**
 * Holds the live model. Writers mutate a working copy; `commit()` freezes it into an immutable, versioned snapshot
 * and returns the batched delta. Only columns written since the last commit are copied, so a commit costs what
 * changed, not the plant size.
 */
export class ModelStore implements WorkingModel {
  private readonly working = new Map<string, WorkingColumn>();
  private readonly dirtyColumns = new Set<string>();
  private readonly dirtyStrings = new Set<number>();
  private changes: PointChange[] = [];
  private readonly deviceStates: DeviceState[];
  private dirtyDevices = new Set<number>();
  private alarms: readonly ActiveAlarm[] = [];
  private summary: AlarmSummary = EMPTY_SUMMARY;
  private alarmsDirty = false;
  private current: Snapshot;
  private readonly derivers: Deriver[] = [];
  private readonly blockString: Int32Array;

  constructor(readonly topology: PlantTopology) {
    const frozen = new Map<string, PointColumn>();
    for (const p of POINTS) {
      const rows = rowsOf(topology, p.scope);
      this.working.set(p.id, new WorkingColumn(rows));
      frozen.set(p.id, new PagedColumn(rows, emptyPages(rows)));
    }
    this.deviceStates = topology.devices.map((d) => ({
      index: d.index,
      comm: "unknown",
      lastOk: 0,
      transactions: 0,
      failures: 0,
      consecutiveFailures: 0,
    }));
    this.blockString = topology.stringOfBlock;
    this.current = new Snapshot(0, Date.now(), topology, frozen, [...this.deviceStates], [], EMPTY_SUMMARY);
  }

  addDeriver(deriver: Deriver): void {
    this.derivers.push(deriver);
  }

  snapshot(): PlantSnapshot {
    return this.current;
  }

  write(point: PointId, row: number, value: number, quality: number, time: number): void {
    const c = this.working.get(point);
    if (!c || !(row >= 0 && row < c.rows)) throw new RangeError(`cannot write ${point}[${row}]`);
    // A fresh timestamp alone still dirties the column, so snapshots carry the source time of every value.
    this.dirtyColumns.add(point);
    const page = c.pageFor(row);
    const at = row & PAGE_MASK;
    const previousValue = page.values[at] ?? Number.NaN;
    const previousQuality = page.quality[at] ?? Q_STALE;
    page.time[at] = time;
    const sameValue = previousValue === value || (Number.isNaN(previousValue) && Number.isNaN(value));
    if (sameValue && previousQuality === quality) return;
    page.values[at] = value;
    page.quality[at] = quality;
    const def = pointById(point) as PointDefinition;
    if (def.scope === "block") this.dirtyStrings.add(this.blockString[row] ?? 0);
    this.changes.push({
      point,
      scope: def.scope,
      row,
      value,
      quality: QUALITIES[quality] ?? "stale",
      previousValue,
      previousQuality: QUALITIES[previousQuality] ?? "stale",
    });
  }

  read(point: PointId, row: number): number {
    return this.working.get(point)?.value(row) ?? Number.NaN;
  }

  quality(point: PointId, row: number): number {
    return this.working.get(point)?.quality(row) ?? Q_STALE;
  }

  device(index: number): DeviceState {
    const d = this.deviceStates[index];
    if (!d) throw new RangeError(`no device ${index}`);
    return d;
  }

  updateDevice(index: number, patch: Partial<Omit<DeviceState, "index">>): void {
    const d = this.device(index);
    this.deviceStates[index] = { ...d, ...patch };
    this.dirtyDevices.add(index);
  }

  setAlarms(alarms: readonly ActiveAlarm[], summary: AlarmSummary): void {
    this.alarms = alarms;
    this.summary = summary;
    this.alarmsDirty = true;
  }

  /** True when something was written since the last commit. */
  get pending(): boolean {
    return this.dirtyColumns.size > 0 || this.dirtyDevices.size > 0 || this.alarmsDirty;
  }

  /** Freezes the working model into a new snapshot; returns undefined when nothing changed. */
  commit(now = Date.now()): { snapshot: PlantSnapshot; delta: ModelDelta } | undefined {
    if (!this.pending) return undefined;
    for (const derive of this.derivers) derive(this, this.dirtyStrings, this.changes);
    const previous = this.current;
    const columns = new Map<string, PointColumn>();
    for (const p of POINTS) {
      const before = previous.column(p.id as PointId);
      const working = this.working.get(p.id);
      columns.set(p.id, working && this.dirtyColumns.has(p.id) ? working.freeze(before as PagedColumn) : before);
    }
    const devices = this.dirtyDevices.size > 0 ? [...this.deviceStates] : previous.devices;
    const changedDevices = [...this.dirtyDevices].map((i) => this.deviceStates[i] as DeviceState);
    const snapshot = new Snapshot(
      previous.version + 1,
      now,
      this.topology,
      columns,
      devices,
      this.alarms,
      this.summary,
    );
    const delta: ModelDelta = {
      fromVersion: previous.version,
      toVersion: snapshot.version,
      time: now,
      changes: this.changes,
      devices: changedDevices,
      alarmsChanged: this.alarmsDirty,
    };
    this.current = snapshot;
    this.changes = [];
    this.dirtyColumns.clear();
    this.dirtyStrings.clear();
    this.dirtyDevices.clear();
    this.alarmsDirty = false;
    return { snapshot, delta };
  }
}

/** String aggregates (min/max/mean block voltage, hottest block) recomputed for the strings whose blocks changed. */
export const stringAggregates: Deriver = (model, dirtyStrings) => {
  const now = Date.now();
  for (const index of dirtyStrings) {
    const s = model.topology.strings[index];
    if (!s) continue;
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    let sum = 0;
    let n = 0;
    let tMax = Number.NEGATIVE_INFINITY;
    for (let row = s.firstBlockRow; row < s.firstBlockRow + s.blockCount; row++) {
      if (model.quality("block.voltage", row) === Q_GOOD) {
        const v = model.read("block.voltage", row);
        if (v < min) min = v;
        if (v > max) max = v;
        sum += v;
        n++;
      }
      if (model.quality("block.temperature", row) === Q_GOOD)
        tMax = Math.max(tMax, model.read("block.temperature", row));
    }
    const q = n > 0 ? Q_GOOD : Q_COMM_LOST;
    model.write("string.blockVoltageMin", index, n > 0 ? min : Number.NaN, q, now);
    model.write("string.blockVoltageMax", index, n > 0 ? max : Number.NaN, q, now);
    model.write("string.blockVoltageMean", index, n > 0 ? sum / n : Number.NaN, q, now);
    const tq = Number.isFinite(tMax) ? Q_GOOD : Q_COMM_LOST;
    model.write("string.temperatureMax", index, Number.isFinite(tMax) ? tMax : Number.NaN, tq, now);
  }
};
