import type { DischargePoint, DischargeRecord } from "./types.js";

export interface DischargeSettings {
  /** Plant ms the discharge condition must be gone before the discharge ends. */
  readonly endHold: number;
  /** Plant ms; shorter discharges are dropped. */
  readonly minDuration: number;
  /** Plant ms between stored curve points. */
  readonly curveInterval: number;
  /** Plant ms: time constant of the current average behind the runtime estimate. */
  readonly runtimeSmoothing: number;
  /** End-of-discharge voltage per block, V (cells × end cell voltage). */
  readonly endBlockVoltage: number;
}

/** One commit's view of a string. */
export interface DischargeSample {
  /** Wall time, ms (stored times). */
  readonly wall: number;
  /** Plant time, ms (integration and durations). */
  readonly plant: number;
  /** A, positive charges; NaN without a current sensor. */
  readonly current: number;
  /** The string's charge state says discharge (used when there is no current). */
  readonly discharging: boolean;
  /** |current| above this (A) counts. */
  readonly threshold: number;
  readonly stringVoltage: number;
  readonly minBlockVoltage: number;
  readonly maxBlockVoltage: number;
  readonly meanBlockVoltage: number;
  /** Voltage of each block of the string (NaN when not good). */
  readonly blockVoltages: ArrayLike<number>;
  readonly soc: number;
}

interface Active {
  record: {
    -readonly [K in keyof Omit<DischargeRecord, "curve" | "end">]: DischargeRecord[K];
  };
  curve: DischargePoint[];
  startPlant: number;
  lastPlant: number;
  lastCurrent: number;
  lastPower: number;
  nextCurvePoint: number;
  /** Plant time the condition went away (end pending), NaN while discharging. */
  endSincePlant: number;
  endSinceWall: number;
  /** Ah when the end voltage was reached; NaN before. */
  ahAtEnd: number;
  /** Ah at the previous sample. */
  ahBefore: number;
  averageCurrent: number;
  deviationSums: Float64Array;
  deviationCounts: Uint32Array;
}

/**
 * Detects one string's discharges and accumulates each record: Ah and Wh (left Riemann sums of the current and
 * power held from one sample to the next, so the missed part at the start and the extra part at the end cancel on
 * average), peak current, minimum voltages, the curve, the weakest block (lowest mean deviation from the string
 * mean) and whether the end-of-discharge voltage was reached. Without a current sensor the charge state drives start
 * and end, and Ah/Wh stay unknown (NaN).
 */
export class DischargeTracker {
  private active: Active | undefined;

  constructor(
    readonly stringId: number,
    private readonly settings: DischargeSettings,
    private readonly nextId: () => number,
    private readonly onFinished: (record: DischargeRecord) => void,
  ) {}

  /** A copy of the discharge in progress, if any. */
  current(): DischargeRecord | undefined {
    const a = this.active;
    if (!a) return undefined;
    const [block, deviation] = weakestBlock(a);
    return { ...a.record, weakestBlock: block, weakestBlockDeviation: deviation, curve: a.curve.slice() };
  }

  /** Remaining runtime while discharging, plant seconds: usable Ah left over the smoothed current. */
  runtimeSeconds(soc: number, capacityAh: number): number {
    const a = this.active;
    if (!a || !Number.isNaN(a.endSincePlant) || !(a.averageCurrent > 0)) return Number.NaN;
    return ((Math.max(0, soc) / 100) * capacityAh * 3600) / a.averageCurrent;
  }

  update(s: DischargeSample): void {
    const hasCurrent = Number.isFinite(s.current);
    const on = hasCurrent ? s.current < -s.threshold : s.discharging;
    const off = hasCurrent ? s.current >= -s.threshold / 2 : !s.discharging;
    let a = this.active;
    if (!a) {
      if (on) this.active = this.begin(s, hasCurrent);
      return;
    }
    this.accumulate(a, s);
    if (on) {
      a.endSincePlant = Number.NaN;
    } else if (off && Number.isNaN(a.endSincePlant)) {
      a.endSincePlant = s.plant;
      a.endSinceWall = s.wall;
      this.point(a, s);
    }
    if (!Number.isNaN(a.endSincePlant) && s.plant - a.endSincePlant >= this.settings.endHold) {
      this.finish(a);
      this.active = undefined;
      a = undefined;
    }
  }

  private begin(s: DischargeSample, hasCurrent: boolean): Active {
    const n = s.blockVoltages.length;
    const a: Active = {
      record: {
        id: this.nextId(),
        stringId: this.stringId,
        start: s.wall,
        durationSeconds: 0,
        ampereHours: hasCurrent ? 0 : Number.NaN,
        wattHours: hasCurrent ? 0 : Number.NaN,
        peakCurrent: hasCurrent ? -s.current : Number.NaN,
        socStart: s.soc,
        socEnd: s.soc,
        minStringVoltage: s.stringVoltage,
        minBlockVoltage: s.minBlockVoltage,
        weakestBlock: 0,
        weakestBlockDeviation: Number.NaN,
        reachedEndVoltage: false,
        capacityAh: Number.NaN,
        detectedBy: hasCurrent ? "current" : "voltage",
      },
      curve: [],
      startPlant: s.plant,
      lastPlant: s.plant,
      lastCurrent: s.current,
      lastPower: s.current * s.stringVoltage,
      nextCurvePoint: s.plant,
      endSincePlant: Number.NaN,
      endSinceWall: Number.NaN,
      ahAtEnd: Number.NaN,
      ahBefore: 0,
      averageCurrent: hasCurrent ? -s.current : Number.NaN,
      deviationSums: new Float64Array(n),
      deviationCounts: new Uint32Array(n),
    };
    this.observe(a, s);
    return a;
  }

  private accumulate(a: Active, s: DischargeSample): void {
    const dtMs = Math.max(0, s.plant - a.lastPlant);
    const r = a.record;
    a.ahBefore = r.ampereHours;
    if (Number.isFinite(a.lastCurrent) && a.lastCurrent < 0) {
      r.ampereHours += (-a.lastCurrent * dtMs) / 3_600_000;
      if (Number.isFinite(a.lastPower)) r.wattHours += (-a.lastPower * dtMs) / 3_600_000;
    }
    if (Number.isFinite(s.current) && s.current < -s.threshold) {
      const k = 1 - Math.exp(-dtMs / Math.max(1, this.settings.runtimeSmoothing));
      a.averageCurrent += (-s.current - a.averageCurrent) * k;
    }
    a.lastPlant = s.plant;
    a.lastCurrent = s.current;
    a.lastPower = s.current * s.stringVoltage;
    if (Number.isNaN(a.endSincePlant)) this.observe(a, s);
  }

  /** Extremes, weakest block, end voltage and curve of a sample taken while discharging. */
  private observe(a: Active, s: DischargeSample): void {
    const r = a.record;
    r.durationSeconds = (s.plant - a.startPlant) / 1000;
    if (Number.isFinite(s.current)) r.peakCurrent = Math.max(r.peakCurrent, -s.current);
    if (s.stringVoltage < r.minStringVoltage || Number.isNaN(r.minStringVoltage)) r.minStringVoltage = s.stringVoltage;
    if (s.minBlockVoltage < r.minBlockVoltage || Number.isNaN(r.minBlockVoltage)) r.minBlockVoltage = s.minBlockVoltage;
    r.socEnd = s.soc;
    if (Number.isFinite(s.meanBlockVoltage))
      for (let i = 0; i < s.blockVoltages.length; i++) {
        const v = s.blockVoltages[i] ?? Number.NaN;
        if (!Number.isFinite(v)) continue;
        a.deviationSums[i] = (a.deviationSums[i] ?? 0) + (v - s.meanBlockVoltage);
        a.deviationCounts[i] = (a.deviationCounts[i] ?? 0) + 1;
      }
    if (!r.reachedEndVoltage && s.meanBlockVoltage <= this.settings.endBlockVoltage) {
      r.reachedEndVoltage = true;
      // The crossing happened somewhere since the previous sample: take the middle of that interval.
      a.ahAtEnd = (a.ahBefore + r.ampereHours) / 2;
    }
    if (s.plant >= a.nextCurvePoint) this.point(a, s);
  }

  private point(a: Active, s: DischargeSample): void {
    a.curve.push({
      time: s.wall,
      stringVoltage: s.stringVoltage,
      current: s.current,
      minBlockVoltage: s.minBlockVoltage,
      maxBlockVoltage: s.maxBlockVoltage,
    });
    a.nextCurvePoint = s.plant + this.settings.curveInterval;
  }

  private finish(a: Active): void {
    const durationMs = a.endSincePlant - a.startPlant;
    if (durationMs < this.settings.minDuration) return;
    const r = a.record;
    r.durationSeconds = durationMs / 1000;
    [r.weakestBlock, r.weakestBlockDeviation] = weakestBlock(a);
    // A discharge from full (SOC ≥ 99 % at the start) down to the end voltage is a capacity test.
    if (r.reachedEndVoltage && r.socStart >= 99 && Number.isFinite(a.ahAtEnd)) r.capacityAh = a.ahAtEnd;
    this.onFinished({ ...r, end: a.endSinceWall, curve: a.curve });
  }
}

/** 1-based block with the lowest mean deviation from the string mean so far (0 when none read), and that deviation. */
function weakestBlock(a: Active): [block: number, deviation: number] {
  let weakest = 0;
  let lowest = Number.POSITIVE_INFINITY;
  for (let i = 0; i < a.deviationSums.length; i++) {
    const count = a.deviationCounts[i] ?? 0;
    if (count === 0) continue;
    const mean = (a.deviationSums[i] ?? 0) / count;
    if (mean < lowest) {
      lowest = mean;
      weakest = i + 1;
    }
  }
  return [weakest, Number.isFinite(lowest) ? lowest : Number.NaN];
}
