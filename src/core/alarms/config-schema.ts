import { z } from "zod";
import type { Chemistry } from "../config/core-schema.js";
import { duration } from "../config/primitives.js";
import { EVENT_CATALOGUE } from "./catalogue.js";
import { checkOrder, resolveThresholds } from "./thresholds.js";

/**
 * The `alarms` section: threshold overrides (global, per string, per block), raise/clear delays, latching and
 * suppression windows. Defaults per chemistry and nominal block voltage live in `defaults.ts`; anything set here
 * overrides them. Voltages are per block (what a technician reads on the meter), not per cell.
 */

const ALARM_NAMES = EVENT_CATALOGUE.filter((d) => d.kind === "alarm").map((d) => d.name);
const alarmName = z
  .string()
  .refine((name) => ALARM_NAMES.includes(name), { message: `expected an alarm name: ${ALARM_NAMES.join(", ")}` });

const volts = z.number().nonnegative();
const band = z.number().nonnegative().meta({ description: "Deadband (hysteresis): clears only this far inside." });

const blockVoltage = z
  .strictObject({
    highAlarm: volts.optional(),
    highWarning: volts.optional(),
    lowWarning: volts.optional(),
    lowAlarm: volts.optional(),
    loadDisconnectPrealarm: volts
      .optional()
      .meta({ description: "Lowest block voltage below which the load-disconnect pre-alarm (207) is raised." }),
    deadband: band.optional(),
  })
  .meta({ description: "Block voltage levels, V per block." });

const blockTemperature = z
  .strictObject({
    highAlarm: z.number().optional(),
    highWarning: z.number().optional(),
    low: z.number().optional(),
    deadband: band.optional(),
  })
  .meta({ description: "Block temperature levels, °C." });

const ambientDifference = z
  .strictObject({ high: z.number().positive().optional(), deadband: band.optional() })
  .meta({ description: "Block temperature above ambient, °C (alarm 108)." });

const resistance = z
  .strictObject({
    absolute: z.number().positive().optional().meta({ description: "Absolute limit, mΩ (alarm 109); off if absent." }),
    baseline: z
      .number()
      .positive()
      .optional()
      .meta({ description: "Baseline, mΩ; absent = the first good measurement, remembered under storage.path." }),
    baselineWarningPercent: z.number().positive().optional(),
    baselineAlarmPercent: z.number().positive().optional(),
    deadbandPercent: band.optional(),
  })
  .meta({ description: "Internal resistance limits (109, 110, 111)." });

const thermalRunaway = z
  .strictObject({
    aboveAmbient: z.number().positive().optional().meta({ description: "Block above ambient by this much, °C." }),
    floatCurrent: z
      .number()
      .positive()
      .optional()
      .meta({ description: "String float current above which it counts as rising, A." }),
    deadband: band.optional(),
  })
  .meta({ description: "Thermal runaway (113): both conditions held for the rule's raise delay (default 5 min)." });

const stringVoltage = z.strictObject({ high: volts.optional(), low: volts.optional(), deadband: band.optional() });
const imbalance = z.strictObject({ high: volts.optional(), deadband: band.optional() });
const soc = z.strictObject({ low: z.number().min(0).max(100).optional(), deadband: band.optional() });
const current = z.strictObject({ high: z.number().positive().optional(), deadband: band.optional() });
const discharge = z
  .strictObject({ current: z.number().positive().optional(), deadband: band.optional() })
  .meta({ description: "Discharge (206) is active while the string current is below −current, A." });

const blockOverrides = z.strictObject({
  blockVoltage: blockVoltage.optional(),
  blockTemperature: blockTemperature.optional(),
  ambientDifference: ambientDifference.optional(),
  resistance: resistance.optional(),
  thermalRunaway: thermalRunaway.optional(),
});

const stringOverrides = blockOverrides.extend({
  stringVoltage: stringVoltage.optional(),
  imbalance: imbalance.optional(),
  soc: soc.optional(),
  current: current.optional(),
  discharge: discharge.optional(),
});

export type BlockThresholdOverrides = z.infer<typeof blockOverrides>;
export type ThresholdOverrides = z.infer<typeof stringOverrides>;

const rule = z
  .strictObject({
    enabled: z.boolean().optional(),
    raiseDelay: duration.optional(),
    clearDelay: duration.optional(),
    latching: z.boolean().optional(),
  })
  .meta({ description: "Per-alarm behaviour; absent fields take the section defaults." });

export const DEFAULT_DISCHARGE_SUPPRESSION = [
  "block-voltage-low",
  "string-voltage-low",
  "string-voltage-imbalance",
  "string-current-high",
] as const;

export const DEFAULT_MEASUREMENT_SUPPRESSION = [
  "block-voltage-high",
  "block-voltage-low",
  "block-voltage-high-alarm",
  "block-voltage-low-alarm",
  "string-voltage-imbalance",
] as const;

export const alarmsConfigSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    raiseDelay: duration.default(10_000).meta({ description: "Condition must hold this long before raising." }),
    clearDelay: duration.default(10_000).meta({ description: "Condition must be gone this long before clearing." }),
    latching: z
      .boolean()
      .default(false)
      .meta({ description: "Latched alarms stay active after clearing until acknowledged." }),
    rules: z
      .record(alarmName, rule)
      .default({})
      .meta({ description: "Per-alarm overrides keyed by alarm name, e.g. block-voltage-high: { raiseDelay: 30s }." }),
    thresholds: stringOverrides.default({}).meta({ description: "Overrides for every string." }),
    strings: z
      .record(z.string().regex(/^\d+$/, "use the string id"), stringOverrides)
      .default({})
      .meta({ description: "Overrides per string id." }),
    blocks: z
      .record(z.string().regex(/^\d+\/\d+$/, 'use "S/B" (string id / block number)'), blockOverrides)
      .default({})
      .meta({ description: 'Overrides per block, keyed "S/B".' }),
    suppress: z
      .strictObject({
        duringDischarge: z
          .array(alarmName)
          .default([...DEFAULT_DISCHARGE_SUPPRESSION])
          .meta({ description: "Alarms not raised in a string while its discharge alarm (206) is active." }),
        afterResistanceMeasurement: z
          .strictObject({
            duration: duration.default(120_000),
            alarms: z.array(alarmName).default([...DEFAULT_MEASUREMENT_SUPPRESSION]),
          })
          .default({ duration: 120_000, alarms: [...DEFAULT_MEASUREMENT_SUPPRESSION] })
          .meta({ description: "Alarms not raised in a string for `duration` after its resistances changed." }),
      })
      .default({
        duringDischarge: [...DEFAULT_DISCHARGE_SUPPRESSION],
        afterResistanceMeasurement: { duration: 120_000, alarms: [...DEFAULT_MEASUREMENT_SUPPRESSION] },
      }),
  })
  .meta({
    description: "Alarm thresholds, delays, latching and suppression; defaults per chemistry (docs/alarms.md).",
  });

export type AlarmsConfig = z.output<typeof alarmsConfigSchema>;

/** What the cross-check needs of each configured string. */
export interface StringShape {
  readonly id: number;
  readonly chemistry: Chemistry;
  readonly nominalBlockVoltage: number;
  readonly blocks: number;
  readonly capacityAh: number;
}

/**
 * Cross-field checks that need the strings: unknown string/block keys, and ordering of the effective thresholds
 * (defaults merged with overrides) for every string and every overridden block. Each issue names its path.
 */
export function refineAlarmsConfig(
  config: { alarms: AlarmsConfig; strings: readonly (Omit<StringShape, "blocks"> & { blocks: number })[] },
  ctx: z.RefinementCtx,
): void {
  const { alarms } = config;
  const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: "custom", path, message });
  const byId = new Map(config.strings.map((s) => [s.id, s]));
  for (const key of Object.keys(alarms.strings))
    if (!byId.has(Number(key))) issue(["alarms", "strings", key], `no string ${key} is configured`);
  const blocks: [StringShape, number][] = [];
  for (const key of Object.keys(alarms.blocks)) {
    const [sid, b] = key.split("/").map(Number) as [number, number];
    const s = byId.get(sid);
    if (!s) issue(["alarms", "blocks", key], `no string ${sid} is configured`);
    else if (b < 1 || b > s.blocks) issue(["alarms", "blocks", key], `string ${sid} has blocks 1..${s.blocks}`);
    else blocks.push([s, b]);
  }
  const seen = new Set<string>();
  const report = (shape: StringShape, block: number | undefined) => {
    for (const problem of checkOrder(resolveThresholds(alarms, shape, block)).problems) {
      const path = ["alarms", ...originOf(alarms, shape.id, block, problem.field)];
      const key = path.join(".");
      if (seen.has(key)) continue;
      seen.add(key);
      issue(path, problem.message);
    }
  };
  for (const s of config.strings) report(s, undefined);
  for (const [s, b] of blocks) report(s, b);
}

/** The result of checking one effective threshold set: `field` is e.g. ["blockVoltage", "lowWarning"]. */
export interface EffectiveOrderCheck {
  readonly problems: readonly { field: [string, string]; message: string }[];
}

/** Names where a bad value came from: the most specific level that sets it (block, string, global). */
function originOf(
  alarms: AlarmsConfig,
  stringId: number,
  block: number | undefined,
  field: [string, string],
): (string | number)[] {
  const [group, key] = field;
  const has = (o: object | undefined) =>
    o !== undefined && (o as Record<string, Record<string, unknown> | undefined>)[group]?.[key] !== undefined;
  if (block !== undefined && has(alarms.blocks[`${stringId}/${block}`]))
    return ["blocks", `${stringId}/${block}`, group, key];
  if (has(alarms.strings[String(stringId)])) return ["strings", String(stringId), group, key];
  if (has(alarms.thresholds)) return ["thresholds", group, key];
  if (block !== undefined) return ["blocks", `${stringId}/${block}`, group];
  return ["strings", String(stringId), group];
}
