import { type PlantSnapshot, Q_GOOD } from "../model.js";
import { POINTS, type PointDefinition, type PointId } from "../points.js";
import type { PlantTopology } from "../topology.js";
import type { HistoryConfig } from "./config-schema.js";
import { seriesId } from "./series.js";
import type { HistoryBucket, HistoryStore } from "./types.js";

const MINUTE = 60_000;
const HOUR = 3_600_000;

interface PointSlice {
  readonly point: PointDefinition;
  /** Index of this point's first row in the flat state arrays. */
  readonly offset: number;
  readonly rows: number;
  readonly threshold: number;
}

/**
 * Looks at the model on a timer (never on the poll path): stores a raw sample when a point's interval is due or its
 * value moved by its change threshold, and folds every fresh reading into per-minute and per-hour min/avg/max.
 * State lives in flat typed arrays, one slot per series, so a tick over 60,000 series is a few tight loops.
 */
export class HistorySampler {
  private readonly slices: PointSlice[] = [];
  private readonly series: Float64Array;
  private readonly lastValue: Float64Array;
  private readonly lastStored: Float64Array;
  private readonly lastSeen: Float64Array;
  private readonly minute: Accumulator;
  private readonly hour: Accumulator;
  private minuteStart = Number.NaN;
  private hourStart = Number.NaN;

  constructor(
    topology: PlantTopology,
    private readonly config: HistoryConfig,
    private readonly store: HistoryStore,
  ) {
    const ids: number[] = [];
    for (const point of POINTS) {
      const offset = ids.length;
      if (point.scope === "system") ids.push(seriesId(point));
      else if (point.scope === "string") for (const s of topology.strings) ids.push(seriesId(point, s.id));
      else for (const s of topology.strings) for (let b = 1; b <= s.blockCount; b++) ids.push(seriesId(point, s.id, b));
      const own = config.changeThresholds[point.id];
      const threshold = own ?? (point.type === "float" ? point.resolution * 10 : 0.5);
      this.slices.push({ point, offset, rows: ids.length - offset, threshold });
    }
    const n = ids.length;
    this.series = Float64Array.from(ids);
    this.lastValue = new Float64Array(n).fill(Number.NaN);
    this.lastStored = new Float64Array(n);
    this.lastSeen = new Float64Array(n);
    this.minute = new Accumulator(n);
    this.hour = new Accumulator(n);
  }

  get seriesCount(): number {
    return this.series.length;
  }

  /** Seeds the running hour from what the store holds, so a restart inside an hour keeps its aggregate. */
  resume(now: number): void {
    this.hourStart = Math.floor(now / HOUR) * HOUR;
    for (let i = 0; i < this.series.length; i++) {
      const b = this.store.bucket(this.series[i] as number, "hour", this.hourStart);
      if (b) this.hour.seed(i, b);
    }
  }

  /** One look at the model. Returns the number of raw samples queued. */
  tick(snapshot: PlantSnapshot, now: number): number {
    const minuteStart = Math.floor(now / MINUTE) * MINUTE;
    if (minuteStart !== this.minuteStart) {
      if (!Number.isNaN(this.minuteStart)) this.closeMinute();
      this.minuteStart = minuteStart;
    }
    const hourStart = Math.floor(now / HOUR) * HOUR;
    if (hourStart !== this.hourStart) {
      this.hour.reset();
      this.hourStart = hourStart;
    }
    let queued = 0;
    const interval = this.config.interval;
    for (const slice of this.slices) {
      const column = snapshot.column(slice.point.id as PointId);
      for (let row = 0; row < slice.rows; row++) {
        if (column.quality(row) !== Q_GOOD) continue;
        const i = slice.offset + row;
        const time = column.time(row);
        if (time === this.lastSeen[i]) continue; // not read again since the last tick
        this.lastSeen[i] = time;
        const value = column.value(row);
        this.minute.add(i, value);
        this.hour.add(i, value);
        const last = this.lastValue[i] as number;
        if (
          Number.isNaN(last) ||
          time - (this.lastStored[i] as number) >= interval ||
          Math.abs(value - last) >= slice.threshold
        ) {
          this.lastValue[i] = value;
          this.lastStored[i] = time;
          this.store.appendSample(this.series[i] as number, time, value);
          queued++;
        }
      }
    }
    return queued;
  }

  /** Writes the finished minute and the running hour (upserted, so a crash keeps the hour up to this minute). */
  private closeMinute(): void {
    this.minute.appendTo(this.store, "minute", this.series, this.minuteStart);
    this.hour.appendTo(this.store, "hour", this.series, this.hourStart);
    this.minute.reset();
  }

  /** At stop: writes the partial minute and hour. */
  finish(): void {
    if (!Number.isNaN(this.minuteStart)) this.closeMinute();
  }
}

/** min / sum / max / count per series for the bucket in progress. */
class Accumulator {
  private readonly min: Float64Array;
  private readonly max: Float64Array;
  private readonly sum: Float64Array;
  private readonly count: Float64Array;

  constructor(n: number) {
    this.min = new Float64Array(n);
    this.max = new Float64Array(n);
    this.sum = new Float64Array(n);
    this.count = new Float64Array(n);
  }

  add(i: number, value: number): void {
    if (this.count[i] === 0) {
      this.min[i] = value;
      this.max[i] = value;
    } else {
      if (value < (this.min[i] as number)) this.min[i] = value;
      if (value > (this.max[i] as number)) this.max[i] = value;
    }
    this.sum[i] = (this.sum[i] as number) + value;
    this.count[i] = (this.count[i] as number) + 1;
  }

  seed(i: number, b: HistoryBucket): void {
    this.min[i] = b.min;
    this.max[i] = b.max;
    this.sum[i] = b.avg * b.count;
    this.count[i] = b.count;
  }

  /** Queues the bucket of every series that had a value. */
  appendTo(store: HistoryStore, resolution: "minute" | "hour", series: Float64Array, time: number): void {
    for (let i = 0; i < series.length; i++) {
      const count = this.count[i] as number;
      if (count === 0) continue;
      store.appendBucket(resolution, {
        series: series[i] as number,
        time,
        min: this.min[i] as number,
        avg: (this.sum[i] as number) / count,
        max: this.max[i] as number,
        count,
      });
    }
  }

  reset(): void {
    this.count.fill(0);
    this.sum.fill(0);
  }
}
