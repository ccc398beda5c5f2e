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

/** One point's values for every row of its scope. Snapshots share unchanged columns. */
export interface PointColumn {
  readonly values: Float64Array;
  readonly quality: Uint8Array;
  readonly time: Float64Array;
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

function emptyColumn(rows: number): PointColumn {
  return {
    values: new Float64Array(rows).fill(Number.NaN),
    quality: new Uint8Array(rows).fill(Q_STALE),
    time: new Float64Array(rows),
  };
}

function copyColumn(c: PointColumn): PointColumn {
  return { values: c.values.slice(), quality: c.quality.slice(), time: c.time.slice() };
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
    const q = c.quality[row];
    if (q === undefined) throw new RangeError(`row ${row} out of range for ${point}`);
    return { value: c.values[row] ?? Number.NaN, quality: QUALITIES[q] ?? "stale", time: c.time[row] ?? 0 };
  }

  value(point: PointId, row: number): number {
    return this.column(point).values[row] ?? Number.NaN;
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
  private readonly working = new Map<string, PointColumn>();
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
      this.working.set(p.id, emptyColumn(rows));
      frozen.set(p.id, emptyColumn(rows));
    }
    this.deviceStates = topology.devices.map((d) => ({
      index: d.index,
      comm: "unknown",
      lastOk: 0,
      transactions: 0,
      failures: 0,
      consecutiveFailures: 0,
    }));
    this.blockString = new Int32Array(topology.blockCount);
    for (const s of topology.strings) this.blockString.fill(s.index, s.firstBlockRow, s.firstBlockRow + s.blockCount);
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
    if (!c || row < 0 || row >= c.values.length) throw new RangeError(`cannot write ${point}[${row}]`);
    const previousValue = c.values[row] ?? Number.NaN;
    const previousQuality = c.quality[row] ?? Q_STALE;
    c.time[row] = time;
    // A fresh timestamp alone still dirties the column, so snapshots carry the source time of every value.
    this.dirtyColumns.add(point);
    const sameValue = previousValue === value || (Number.isNaN(previousValue) && Number.isNaN(value));
    if (sameValue && previousQuality === quality) return;
    c.values[row] = value;
    c.quality[row] = quality;
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
    return this.working.get(point)?.values[row] ?? Number.NaN;
  }

  quality(point: PointId, row: number): number {
    return this.working.get(point)?.quality[row] ?? Q_STALE;
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
      const c = this.dirtyColumns.has(p.id)
        ? copyColumn(this.working.get(p.id) as PointColumn)
        : previous.column(p.id as PointId);
      columns.set(p.id, c);
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
