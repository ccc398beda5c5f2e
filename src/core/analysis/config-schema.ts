import { z } from "zod";
import { CHEMISTRIES } from "../config/core-schema.js";
import { duration } from "../config/primitives.js";
import { checkOcvTable } from "./ocv-tables.js";

const percent = z.number().min(0).max(100);

const ocvTable = z
  .array(z.tuple([percent, z.number().positive().max(5)]))
  .superRefine((table, ctx) => {
    const problem = checkOcvTable(table);
    if (problem) ctx.addIssue({ code: "custom", message: `OCV table ${problem}` });
  })
  .meta({ description: "Open-circuit voltage curve: [SOC %, cell voltage V] pairs from 0 % to 100 %." });

const soc = z
  .strictObject({
    chargeEfficiency: z
      .number()
      .min(0.5)
      .max(1)
      .default(1)
      .meta({ description: "Share of charging ampere-hours that is stored (coulombic efficiency)." }),
    restAfter: duration
      .default(7_200_000)
      .meta({ description: "Time at rest after which SOC is pulled toward the open-circuit-voltage table." }),
    fullChargeAfter: duration
      .default(600_000)
      .meta({ description: "Time in float after which SOC is taken as 100 %." }),
  })
  .meta({ description: "State of charge: coulomb counting corrected by OCV at rest, or voltage tables." });

const chargeState = z
  .strictObject({
    currentThreshold: z
      .number()
      .positive()
      .max(1)
      .default(0.01)
      .meta({ description: "C-rate (× capacity Ah = A) above which the string charges or discharges; C/100 default." }),
    chargeCurrent: z
      .number()
      .positive()
      .max(5)
      .default(0.05)
      .meta({ description: "C-rate of charging current that means charge even at float voltage; C/20 default." }),
  })
  .meta({ description: "How float, charge (boost), discharge and rest are told apart." });

const discharge = z
  .strictObject({
    endHold: duration.default(10_000).meta({ description: "The current must stay above −threshold this long to end." }),
    minDuration: duration.default(30_000).meta({ description: "Shorter discharges are not recorded." }),
    curveInterval: duration.default(10_000).meta({ description: "Spacing of the stored curve points." }),
    endCellVoltage: z
      .number()
      .positive()
      .max(5)
      .optional()
      .meta({ description: "End-of-discharge cell voltage; default per chemistry (1.75 V lead-acid)." }),
    runtimeSmoothing: duration
      .default(60_000)
      .meta({ description: "Time constant of the current average behind the runtime estimate." }),
    retention: duration.default(3_650 * 86_400_000).meta({ description: "Discharge records kept this long." }),
  })
  .meta({ description: "Discharge detection, records and runtime estimate." });

const resistance = z
  .strictObject({
    interval: duration
      .default(86_400_000)
      .refine((ms) => ms === 0 || ms >= 10_000, "use 0 (off) or at least 10s")
      .meta({ description: "Interval of scheduled resistance measurements; 0 = only on demand." }),
    settlingPeriod: duration
      .default(30 * 86_400_000)
      .meta({ description: "Baselines are re-captured once this long after a block's first measurement." }),
    medianPercent: z
      .number()
      .positive()
      .max(1000)
      .default(20)
      .meta({ description: "A block this many % above its string's median resistance is flagged." }),
    trendWindow: z
      .number()
      .int()
      .min(3)
      .max(100)
      .default(8)
      .meta({ description: "Measurements per block the resistance trend is fitted over." }),
    risingPercentPer30Days: z
      .number()
      .positive()
      .default(5)
      .meta({ description: "A trend steeper than this (% of baseline per 30 days) is flagged." }),
    baselineWarningPercent: z
      .number()
      .positive()
      .max(1000)
      .default(20)
      .meta({ description: "A block this many % above its baseline is flagged (alarm 110 uses the alarms setting)." }),
  })
  .meta({ description: "Scheduled internal-resistance measurement, baselines and weak-block flags." });

const soh = z
  .strictObject({
    replaceBelow: percent.default(80).meta({ description: "SOH below this is flagged for replacement (IEEE 450)." }),
    resistanceEndOfLifePercent: z
      .number()
      .positive()
      .max(1000)
      .default(50)
      .meta({ description: "Resistance this many % above baseline maps to SOH = replaceBelow." }),
  })
  .meta({ description: "State of health from the resistance trend and measured capacity." });

export const analysisConfigSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    soc: soc.default(() => soc.parse({})),
    chargeState: chargeState.default(() => chargeState.parse({})),
    discharge: discharge.default(() => discharge.parse({})),
    resistance: resistance.default(() => resistance.parse({})),
    soh: soh.default(() => soh.parse({})),
    ocv: z
      .partialRecord(z.enum(CHEMISTRIES), ocvTable)
      .default({})
      .meta({ description: "OCV tables replacing the built-in ones, per chemistry (vrla, vla, lifepo4, nicd)." }),
  })
  .meta({ description: "Battery analysis: SOC, charge state, resistance schedule and baselines, SOH, discharges." });

export type AnalysisConfig = z.output<typeof analysisConfigSchema>;

/** The analysis service's section plus the plant clock rate (the in-process simulator's time scale, else 1). */
export type AnalysisServiceConfig = AnalysisConfig & { readonly plantTimeScale: number };

/** Cross-field checks needing the strings; each issue names its path. */
export function refineAnalysisConfig(
  config: { analysis: AnalysisConfig; strings: readonly { chemistry: (typeof CHEMISTRIES)[number] }[] },
  ctx: z.RefinementCtx,
): void {
  const { analysis } = config;
  const end = analysis.discharge.endCellVoltage;
  if (end === undefined) return;
  for (const chemistry of new Set(config.strings.map((s) => s.chemistry))) {
    const table = analysis.ocv[chemistry];
    const empty = table?.[0]?.[1];
    if (empty !== undefined && end > empty)
      ctx.addIssue({
        code: "custom",
        path: ["analysis", "discharge", "endCellVoltage"],
        message: `${end} V is above the ${chemistry} OCV table's empty voltage ${empty} V; a discharge would end at once`,
      });
  }
}
