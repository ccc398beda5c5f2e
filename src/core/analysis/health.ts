import type { AnalysisConfig } from "./config-schema.js";
import type { BlockHealth, DischargeSummary, WeaknessReason } from "./types.js";

/** One resistance measurement: plant time ms, mΩ. */
export interface Measurement {
  readonly time: number;
  readonly value: number;
}

export interface StringHealthInput {
  readonly stringId: number;
  readonly nominalBlockVoltage: number;
  /** Per block (index = block − 1). */
  readonly resistance: ArrayLike<number>;
  readonly baseline: ArrayLike<number>;
  readonly settled: ArrayLike<boolean>;
  readonly soc: ArrayLike<number>;
  readonly history: readonly (readonly Measurement[])[];
  readonly latestDischarge?: DischargeSummary;
  /** Capacity from completed discharges, Ah (NaN unknown), and the nominal. */
  readonly capacityAh: number;
  readonly nominalCapacityAh: number;
}

const DAY_MS = 86_400_000;

export function median(values: readonly number[]): number {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  const mid = v.length >> 1;
  return v.length % 2 ? (v[mid] as number) : ((v[mid - 1] as number) + (v[mid] as number)) / 2;
}

/** Least-squares slope of the measurements in % of `reference` per 30 days; NaN with fewer than 3 points. */
export function trendPercentPer30Days(points: readonly Measurement[], reference: number): number {
  if (points.length < 3 || !(reference > 0)) return Number.NaN;
  const t0 = (points[0] as Measurement).time;
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let sxy = 0;
  for (const p of points) {
    const x = (p.time - t0) / DAY_MS;
    const y = (p.value / reference) * 100;
    sx += x;
    sy += y;
    sxx += x * x;
    sxy += x * y;
  }
  const n = points.length;
  const d = n * sxx - sx * sx;
  if (!(d > 0)) return Number.NaN;
  return ((n * sxy - sx * sy) / d) * 30;
}

const pos = (x: number) => (Number.isFinite(x) && x > 0 ? x : 0);
const fmt = (x: number) => `${x >= 0 ? "+" : ""}${Math.round(x)} %`;

/**
 * Judges every block of a string: deviation from its baseline and from the string median, resistance trend, SOH
 * (resistance: baseline → 100 %, baseline + endOfLife % → replaceBelow, linear; capped by the capacity measured in
 * the latest capacity discharge for that discharge's weakest block), and a weakness score with its reasons.
 */
export function judgeString(input: StringHealthInput, config: AnalysisConfig): BlockHealth[] {
  const r = config.resistance;
  const soh = config.soh;
  const n = input.resistance.length;
  const values = Array.from({ length: n }, (_, i) => input.resistance[i] ?? Number.NaN);
  const med = median(values);
  const capacitySoh =
    input.capacityAh > 0 ? Math.min(100, (input.capacityAh / input.nominalCapacityAh) * 100) : Number.NaN;
  const d = input.latestDischarge;
  const lowBand = -0.01 * input.nominalBlockVoltage;
  const out: BlockHealth[] = [];
  for (let i = 0; i < n; i++) {
    const resistance = values[i] ?? Number.NaN;
    const baseline = input.baseline[i] ?? Number.NaN;
    const deviationFromBaseline = baseline > 0 ? (resistance / baseline - 1) * 100 : Number.NaN;
    const deviationFromMedian = med > 0 ? (resistance / med - 1) * 100 : Number.NaN;
    const history = input.history[i] ?? [];
    const reference = baseline > 0 ? baseline : (history[0]?.value ?? Number.NaN);
    const trend = trendPercentPer30Days(history, reference);
    let blockSoh = Number.isFinite(deviationFromBaseline)
      ? 100 - ((100 - soh.replaceBelow) * pos(deviationFromBaseline)) / soh.resistanceEndOfLifePercent
      : 100;
    const weakInDischarge =
      d !== undefined &&
      d.weakestBlock === i + 1 &&
      Number.isFinite(d.weakestBlockDeviation) &&
      d.weakestBlockDeviation <= lowBand;
    if (d?.weakestBlock === i + 1 && Number.isFinite(capacitySoh)) blockSoh = Math.min(blockSoh, capacitySoh);
    blockSoh = Math.min(100, Math.max(0, blockSoh));
    const reasons: WeaknessReason[] = [];
    const parts: string[] = [];
    if (deviationFromBaseline >= r.baselineWarningPercent) {
      reasons.push("resistance-above-baseline");
      parts.push(`resistance ${fmt(deviationFromBaseline)} over baseline`);
    }
    if (deviationFromMedian >= r.medianPercent) {
      reasons.push("resistance-above-median");
      parts.push(`${fmt(deviationFromMedian)} over string median`);
    }
    if (trend >= r.risingPercentPer30Days) {
      reasons.push("resistance-rising");
      parts.push(`rising ${Math.round(trend)} %/30 d`);
    }
    if (weakInDischarge) {
      reasons.push("low-in-discharge");
      parts.push(`lowest in the last discharge (${(d?.weakestBlockDeviation ?? 0).toFixed(3)} V under the mean)`);
    }
    if (blockSoh < soh.replaceBelow) {
      reasons.push("soh-low");
      parts.push(`SOH ${Math.round(blockSoh)} % below ${soh.replaceBelow} %: plan replacement`);
    }
    const score =
      pos(deviationFromBaseline / r.baselineWarningPercent) +
      pos(deviationFromMedian / r.medianPercent) +
      pos(trend / r.risingPercentPer30Days) +
      (weakInDischarge ? 0.5 : 0) +
      (blockSoh < soh.replaceBelow ? 1 : 0);
    out.push({
      stringId: input.stringId,
      block: i + 1,
      resistance,
      baseline,
      baselineSettled: input.settled[i] === true,
      deviationFromBaseline,
      deviationFromMedian,
      trendPercentPer30Days: trend,
      soh: blockSoh,
      soc: input.soc[i] ?? Number.NaN,
      score,
      reasons,
      text: parts.length > 0 ? parts.join(", ") : "healthy",
    });
  }
  return out;
}
