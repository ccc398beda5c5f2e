import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { gatewayConfigSchema } from "../../src/app/config-schema.js";
import { parseConfig } from "../../src/core/config/load.js";
import { smallPlantYaml } from "../helpers/gateway.js";

const errorsOf = (alarms: string) => {
  const result = parseConfig(gatewayConfigSchema, smallPlantYaml({ extra: alarms }));
  return result.ok ? [] : result.errors.map((e) => `${e.path}: ${e.message}`);
};

describe("alarm threshold configuration", () => {
  it("accepts overrides that keep every low level below its high level", () => {
    assert.deepEqual(
      errorsOf(`alarms:
  thresholds: { blockVoltage: { highWarning: 14.2 } }
  strings: { "2": { current: { high: 150 } } }
  blocks: { "1/3": { blockVoltage: { lowWarning: 13.0 } } }`),
      [],
    );
  });

  it("rejects a block override with low ≥ high and names its path", () => {
    const errors = errorsOf(`alarms:
  blocks: { "1/3": { blockVoltage: { lowWarning: 14.5 } } }`);
    assert.equal(errors.length, 1);
    assert.match(
      errors[0] ?? "",
      /^alarms\.blocks\.1\/3\.blockVoltage\.lowWarning: lowWarning \(14\.5\) must be below highWarning \(14\.1\)/,
    );
  });

  it("rejects a global override that inverts the levels of every string, once, at the global path", () => {
    const errors = errorsOf(`alarms:
  thresholds: { blockTemperature: { highWarning: 50 } }`);
    assert.deepEqual(errors, [
      "alarms.thresholds.blockTemperature.highWarning: highWarning (50) must be below highAlarm (45)",
    ]);
  });

  it("rejects unknown strings, blocks, alarm names and fields", () => {
    const errors = errorsOf(`alarms:
  strings: { "7": {} }
  blocks: { "1/99": {} }`);
    assert.ok(errors.some((e) => e.startsWith("alarms.strings.7: no string 7")));
    assert.ok(errors.some((e) => e.startsWith("alarms.blocks.1/99: string 1 has blocks 1..8")));
    const rule = errorsOf("alarms: { rules: { block-voltage-hihg: { latching: true } } }");
    assert.ok(
      rule.some((e) => e.startsWith("alarms.rules.block-voltage-hihg")),
      rule.join("\n"),
    );
    assert.ok(errorsOf("alarms: { thresholds: { blockVoltage: { hihgWarning: 1 } } }").length > 0);
  });
});
