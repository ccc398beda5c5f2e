/**
 * The query interface of the battery-analysis service (`services.analysis`): weak-block ranking, per-block health,
 * per-string state (SOC, charge state, runtime estimate, capacity) and the discharge records. The console, web and
 * REST read it; every time is ms since the epoch, every Ah/Wh positive for charge removed.
 */
import type { ChargeState } from "../points.js";

/** Why a block is considered weak; several can apply at once. */
export type WeaknessReason =
  /** Resistance above its baseline by at least the warning percentage. */
  | "resistance-above-baseline"
  /** Resistance above the string median by at least the configured percentage. */
  | "resistance-above-median"
  /** Resistance rising faster than the configured rate (per 30 days), fitted over recent measurements. */
  | "resistance-rising"
  /** Lowest block voltage of the string at the end of the latest discharge, below the string mean by the band. */
  | "low-in-discharge"
  /** SOH below the configured replace level (default 80 %, IEEE 450). */
  | "soh-low";

/** One block's health judgement. */
export interface BlockHealth {
  readonly stringId: number;
  /** 1-based block number in its string. */
  readonly block: number;
  /** Latest measured resistance, mΩ (NaN when none). */
  readonly resistance: number;
  /** Baseline resistance, mΩ (NaN when none yet). */
  readonly baseline: number;
  /** When the baseline is final: captured on command or after the settling period; provisional before. */
  readonly baselineSettled: boolean;
  /** Deviation from the baseline, % (NaN without baseline). */
  readonly deviationFromBaseline: number;
  /** Deviation from the string's median resistance, %. */
  readonly deviationFromMedian: number;
  /** Resistance trend fitted over the recent measurements, % of baseline per 30 days (NaN with < 3 points). */
  readonly trendPercentPer30Days: number;
  /** State of health, % (resistance trend and, when measured, capacity). */
  readonly soh: number;
  /** State of charge, %. */
  readonly soc: number;
  /** 0 = healthy; larger = weaker. The ranking sorts by it. */
  readonly score: number;
  readonly reasons: readonly WeaknessReason[];
  /** One line for operators, e.g. "resistance +34 % over baseline, +28 % over string median, rising 12 %/30 d". */
  readonly text: string;
}

/** One string's state as the analysis sees it. */
export interface StringAnalysis {
  readonly stringId: number;
  readonly chargeState: ChargeState;
  readonly soc: number;
  /** How SOC is estimated: coulomb counting (current sensor) or voltage tables. */
  readonly socMethod: "coulomb" | "voltage";
  readonly soh: number;
  /** Estimated remaining runtime while discharging, s; NaN otherwise. */
  readonly runtimeSeconds: number;
  /** Capacity estimated from completed discharges, Ah (NaN until a discharge qualified). */
  readonly capacityAh: number;
  /** Configured nominal capacity, Ah. */
  readonly nominalCapacityAh: number;
  /** The discharge in progress, if any. */
  readonly discharge?: DischargeSummary;
}

/** A discharge (finished or in progress), without its curve. */
export interface DischargeSummary {
  readonly id: number;
  readonly stringId: number;
  readonly start: number;
  /** Undefined while in progress. */
  readonly end?: number;
  /** Plant-time duration, s (equals end − start unless the simulator runs accelerated). */
  readonly durationSeconds: number;
  readonly ampereHours: number;
  readonly wattHours: number;
  /** Largest discharge current magnitude, A. */
  readonly peakCurrent: number;
  readonly socStart: number;
  readonly socEnd: number;
  readonly minStringVoltage: number;
  /** Lowest block voltage seen and where. */
  readonly minBlockVoltage: number;
  /** The block with the lowest voltage relative to its string's mean, averaged over the discharge. */
  readonly weakestBlock: number;
  /** Its mean voltage deviation from the string mean over the discharge, V (negative). */
  readonly weakestBlockDeviation: number;
  /** True when the discharge reached the end-of-discharge voltage (a full capacity test). */
  readonly reachedEndVoltage: boolean;
  /** Capacity this discharge implies, Ah (NaN when it does not qualify). */
  readonly capacityAh: number;
  /** How the end was detected. */
  readonly detectedBy: "current" | "voltage";
}

/** One point of a discharge curve. */
export interface DischargePoint {
  readonly time: number;
  readonly stringVoltage: number;
  /** Negative while discharging. */
  readonly current: number;
  readonly minBlockVoltage: number;
  readonly maxBlockVoltage: number;
}

export interface DischargeRecord extends DischargeSummary {
  readonly curve: readonly DischargePoint[];
}

export interface DischargeQuery {
  readonly stringId?: number;
  /** Discharges that started at or after `from` and before `to`. */
  readonly from?: number;
  readonly to?: number;
  /** Newest first; default 100, at most 10 000. */
  readonly limit?: number;
}

/** `services.analysis`: absent when the analysis service is disabled. */
export interface BatteryAnalysis {
  /** Blocks ranked weakest first (score > 0 only unless `all`), with the reasons; optionally one string. */
  ranking(options?: { stringId?: number; all?: boolean; limit?: number }): BlockHealth[];
  /** Health of one block, or undefined when it does not exist. */
  block(stringId: number, block: number): BlockHealth | undefined;
  /** State of every string (or one). */
  strings(stringId?: number): StringAnalysis[];
  /** Finished discharges (and the one in progress), newest first, without curves. */
  discharges(query?: DischargeQuery): DischargeSummary[];
  /** One discharge with its curve. */
  discharge(id: number): DischargeRecord | undefined;
  /** Writes everything queued to the database; resolves when committed. */
  flush(): Promise<void>;
}

/**
 * Per-block resistance baselines, mΩ, by block row (`topology.strings[i].firstBlockRow + block − 1`). The alarms
 * service learns a provisional one from the first good measurement; the analysis service replaces it on command or
 * after the settling period. Persisted in storage.path/resistance-baselines.json.
 */
export interface ResistanceBaselines {
  /** Baseline of a block row, NaN when none. */
  get(row: number): number;
  /** Sets baselines (NaN removes one) and writes the file. */
  set(entries: readonly { readonly row: number; readonly value: number }[]): void;
}
