import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { gatewayConfigSchema } from "../../src/app/config-schema.js";
import { parseConfig } from "../../src/core/config/load.js";
import { smallPlantYaml } from "../helpers/gateway.js";

const errorsOf = (analysis: string) => {
  const result = parseConfig(gatewayConfigSchema, smallPlantYaml({ extra: analysis }));
  return result.ok ? [] : result.errors.map((e) => `${e.path}: ${e.message}`);
};

describe("analysis configuration", () => {
  it("accepts the defaults and a complete section", () => {
    assert.deepEqual(errorsOf(""), []);
    assert.deepEqual(
      errorsOf(`analysis:
  soc: { chargeEfficiency: 0.95, restAfter: 4h, fullChargeAfter: 30m }
  chargeState: { currentThreshold: 0.005 }
  discharge: { endHold: 30s, minDuration: 1m, curveInterval: 5s, endCellVoltage: 1.8, runtimeSmoothing: 2m }
  resistance: { interval: 7d, settlingPeriod: 90d, medianPercent: 25, trendWindow: 12, risingPercentPer30Days: 3 }
  soh: { replaceBelow: 80, resistanceEndOfLifePercent: 60 }
  ocv: { vrla: [[0, 1.96], [50, 2.05], [100, 2.14]] }`),
      [],
    );
  });

  it("names the path of every invalid setting", () => {
    assert.deepEqual(
      errorsOf(`analysis:
  soc: { chargeEfficiency: 1.2 }
  resistance: { interval: 5s, trendWindow: 2 }
  soh: { replaceBelow: 120 }
  ocv: { vrla: [[0, 2.1], [100, 2.0]] }
  sparkle: true`)
        .map((e) => e.split(":")[0])
        .sort(),
      [
        "analysis",
        "analysis.soc.chargeEfficiency",
        "analysis.resistance.interval",
        "analysis.resistance.trendWindow",
        "analysis.soh.replaceBelow",
        "analysis.ocv.vrla",
      ].sort(),
    );
  });

  it("explains a bad OCV table and an end voltage above the table's empty voltage", () => {
    assert.deepEqual(errorsOf("analysis:\n  ocv: { nicd: [[0, 1.1], [60, 1.25], [50, 1.3], [100, 1.35]] }"), [
      "analysis.ocv.nicd: OCV table point 2 must be above point 1 in both SOC and voltage",
    ]);
    assert.deepEqual(errorsOf("analysis:\n  ocv: { vrla: [[10, 1.9], [100, 2.1]] }"), [
      "analysis.ocv.vrla: OCV table must run from 0 % to 100 %",
    ]);
    assert.deepEqual(
      errorsOf("analysis:\n  discharge: { endCellVoltage: 2.0 }\n  ocv: { vrla: [[0, 1.95], [100, 2.13]] }"),
      [
        "analysis.discharge.endCellVoltage: 2 V is above the vrla OCV table's empty voltage 1.95 V; a discharge would end at once",
      ],
    );
  });
});
