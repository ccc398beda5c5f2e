import type { Chemistry } from "../config/core-schema.js";
import type { AlarmsConfig, BlockThresholdOverrides, EffectiveOrderCheck, StringShape } from "./config-schema.js";

/**
 * Default thresholds per chemistry, per cell (voltages) — a block of nominal voltage U holds U / cell-nominal cells,
 * so 2 V, 6 V and 12 V lead-acid blocks, 3.2/12.8 V LiFePO4 and 1.2 V NiCd all derive from one table.
 * Sources: vendor float/boost voltages (VRLA 2.25 V/cell float), IEEE 1188/450 practice for resistance,
 * Albér/BACS for thermal runaway (+10 °C above ambient with rising float current).
 */
interface ChemistryDefaults {
  readonly cellNominal: number;
  readonly cellHighAlarm: number;
  readonly cellHighWarning: number;
  readonly cellLowWarning: number;
  readonly cellLowAlarm: number;
  readonly cellLoadDisconnectPrealarm: number;
  readonly cellDeadband: number;
  readonly cellImbalance: number;
  readonly temperatureHighWarning: number;
  readonly temperatureHighAlarm: number;
  readonly temperatureLow: number;
}

export const CHEMISTRY_DEFAULTS: Readonly<Record<Chemistry, ChemistryDefaults>> = {
  vrla: {
    cellNominal: 2,
    cellHighAlarm: 2.4,
    cellHighWarning: 2.35,
    cellLowWarning: 2.18,
    cellLowAlarm: 1.8,
    cellLoadDisconnectPrealarm: 1.85,
    cellDeadband: 0.01,
    cellImbalance: 0.05,
    temperatureHighWarning: 35,
    temperatureHighAlarm: 45,
    temperatureLow: 5,
  },
  vla: {
    cellNominal: 2,
    cellHighAlarm: 2.38,
    cellHighWarning: 2.33,
    cellLowWarning: 2.16,
    cellLowAlarm: 1.8,
    cellLoadDisconnectPrealarm: 1.85,
    cellDeadband: 0.01,
    cellImbalance: 0.05,
    temperatureHighWarning: 35,
    temperatureHighAlarm: 45,
    temperatureLow: 5,
  },
  lifepo4: {
    cellNominal: 3.2,
    cellHighAlarm: 3.65,
    cellHighWarning: 3.55,
    cellLowWarning: 3.0,
    cellLowAlarm: 2.8,
    cellLoadDisconnectPrealarm: 2.9,
    cellDeadband: 0.02,
    cellImbalance: 0.1,
    temperatureHighWarning: 45,
    temperatureHighAlarm: 55,
    temperatureLow: 0,
  },
  nicd: {
    cellNominal: 1.2,
    cellHighAlarm: 1.55,
    cellHighWarning: 1.5,
    cellLowWarning: 1.3,
    cellLowAlarm: 1.0,
    cellLoadDisconnectPrealarm: 1.05,
    cellDeadband: 0.01,
    cellImbalance: 0.05,
    temperatureHighWarning: 40,
    temperatureHighAlarm: 50,
    temperatureLow: -10,
  },
};

/** Every threshold of one block (and its string), after defaults and overrides are merged. */
export interface EffectiveThresholds {
  readonly blockVoltage: {
    highAlarm: number;
    highWarning: number;
    lowWarning: number;
    lowAlarm: number;
    loadDisconnectPrealarm: number;
    deadband: number;
  };
  readonly blockTemperature: { highAlarm: number; highWarning: number; low: number; deadband: number };
  readonly ambientDifference: { high: number; deadband: number };
  readonly resistance: {
    absolute: number;
    baseline: number;
    baselineWarningPercent: number;
    baselineAlarmPercent: number;
    deadbandPercent: number;
  };
  readonly thermalRunaway: { aboveAmbient: number; floatCurrent: number; deadband: number };
  readonly stringVoltage: { high: number; low: number; deadband: number };
  readonly imbalance: { high: number; deadband: number };
  readonly soc: { low: number; deadband: number };
  readonly current: { high: number; deadband: number };
  readonly discharge: { current: number; deadband: number };
}

const round = (x: number, digits = 4) => Math.round(x * 10 ** digits) / 10 ** digits;

/** Defaults for a string of `shape`; `NaN` means "off" (e.g. no absolute resistance limit, baseline learned). */
export function defaultThresholds(shape: StringShape): EffectiveThresholds {
  const d = CHEMISTRY_DEFAULTS[shape.chemistry];
  const cells = shape.nominalBlockVoltage / d.cellNominal;
  const perBlock = (perCell: number) => round(perCell * cells);
  const blocks = shape.blocks;
  return {
    blockVoltage: {
      highAlarm: perBlock(d.cellHighAlarm),
      highWarning: perBlock(d.cellHighWarning),
      lowWarning: perBlock(d.cellLowWarning),
      lowAlarm: perBlock(d.cellLowAlarm),
      loadDisconnectPrealarm: perBlock(d.cellLoadDisconnectPrealarm),
      deadband: perBlock(d.cellDeadband),
    },
    blockTemperature: {
      highAlarm: d.temperatureHighAlarm,
      highWarning: d.temperatureHighWarning,
      low: d.temperatureLow,
      deadband: 1,
    },
    ambientDifference: { high: 5, deadband: 1 },
    resistance: {
      absolute: Number.NaN,
      baseline: Number.NaN,
      baselineWarningPercent: 20,
      baselineAlarmPercent: 50,
      deadbandPercent: 5,
    },
    thermalRunaway: { aboveAmbient: 10, floatCurrent: round(shape.capacityAh * 0.005), deadband: 2 },
    stringVoltage: {
      high: round(perBlock(d.cellHighWarning) * blocks, 3),
      low: round(perBlock(d.cellLowWarning) * blocks, 3),
      deadband: round(perBlock(d.cellDeadband) * blocks, 3),
    },
    imbalance: { high: perBlock(d.cellImbalance), deadband: perBlock(d.cellDeadband / 2) },
    soc: { low: 50, deadband: 5 },
    current: { high: shape.capacityAh, deadband: round(shape.capacityAh * 0.05) },
    discharge: { current: round(shape.capacityAh / 100), deadband: round(shape.capacityAh / 200) },
  };
}

type Groups = Record<string, Record<string, number | undefined> | undefined>;

function merge(base: EffectiveThresholds, ...layers: (BlockThresholdOverrides | undefined)[]): EffectiveThresholds {
  const out = structuredClone(base) as unknown as Record<string, Record<string, number>>;
  for (const layer of layers) {
    if (!layer) continue;
    for (const [group, values] of Object.entries(layer as Groups)) {
      const target = out[group];
      if (!target || !values) continue;
      for (const [key, value] of Object.entries(values)) if (value !== undefined) target[key] = value;
    }
  }
  return out as unknown as EffectiveThresholds;
}

/** Effective thresholds of string `shape` (block undefined) or one of its blocks: defaults ← global ← string ← block. */
export function resolveThresholds(alarms: AlarmsConfig, shape: StringShape, block?: number): EffectiveThresholds {
  return merge(
    defaultThresholds(shape),
    alarms.thresholds,
    alarms.strings[String(shape.id)],
    block === undefined ? undefined : alarms.blocks[`${shape.id}/${block}`],
  );
}

/** Ordering checks of one effective set: every low level must lie below the matching high level. */
export function checkOrder(t: EffectiveThresholds): EffectiveOrderCheck {
  const problems: { field: [string, string]; message: string }[] = [];
  const below = (group: string, low: string, lowValue: number, high: string, highValue: number) => {
    if (Number.isFinite(lowValue) && Number.isFinite(highValue) && lowValue >= highValue)
      problems.push({ field: [group, low], message: `${low} (${lowValue}) must be below ${high} (${highValue})` });
  };
  const v = t.blockVoltage;
  below("blockVoltage", "lowAlarm", v.lowAlarm, "lowWarning", v.lowWarning);
  below("blockVoltage", "lowWarning", v.lowWarning, "highWarning", v.highWarning);
  below("blockVoltage", "highWarning", v.highWarning, "highAlarm", v.highAlarm);
  below("blockVoltage", "loadDisconnectPrealarm", v.loadDisconnectPrealarm, "highWarning", v.highWarning);
  const temp = t.blockTemperature;
  below("blockTemperature", "low", temp.low, "highWarning", temp.highWarning);
  below("blockTemperature", "highWarning", temp.highWarning, "highAlarm", temp.highAlarm);
  below("stringVoltage", "low", t.stringVoltage.low, "high", t.stringVoltage.high);
  below(
    "resistance",
    "baselineWarningPercent",
    t.resistance.baselineWarningPercent,
    "baselineAlarmPercent",
    t.resistance.baselineAlarmPercent,
  );
  const deadbandWithin = (group: string, deadband: number, span: number) => {
    // A negative span is an ordering error, reported above.
    if (span > 0 && deadband >= span)
      problems.push({ field: [group, "deadband"], message: `deadband (${deadband}) must be below ${span}` });
  };
  deadbandWithin("blockVoltage", v.deadband, v.highWarning - v.lowWarning);
  deadbandWithin("blockTemperature", temp.deadband, temp.highWarning - temp.low);
  deadbandWithin("stringVoltage", t.stringVoltage.deadband, t.stringVoltage.high - t.stringVoltage.low);
  deadbandWithin("discharge", t.discharge.deadband, t.discharge.current);
  return { problems };
}

/** Cells per block of a string, used to scale per-cell figures. */
export function cellsPerBlock(shape: Pick<StringShape, "chemistry" | "nominalBlockVoltage">): number {
  return shape.nominalBlockVoltage / CHEMISTRY_DEFAULTS[shape.chemistry].cellNominal;
}
