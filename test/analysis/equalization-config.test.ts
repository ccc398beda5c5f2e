import assert from "node:assert/strict";
import { test } from "node:test";
import { gatewayConfigSchema } from "../../src/app/config-schema.js";
import { defaultBand, resolveEqualization } from "../../src/core/analysis/equalization-config.js";
import { parseConfig } from "../../src/core/config/load.js";
import { smallPlantYaml } from "../helpers/gateway.js";

function errors(extra: string): string[] {
  const result = parseConfig(gatewayConfigSchema, smallPlantYaml({ strings: 2, blocks: 4, extra }));
  return result.ok ? [] : result.errors.map((e) => `${e.path}: ${e.message}`);
}

test("the equalization band defaults to 15 mV for 2 V and 30 mV for 12 V blocks, scaled in between", () => {
  assert.equal(defaultBand(2), 0.015);
  assert.equal(defaultBand(12), 0.03);
  assert.equal(defaultBand(6), 0.021);
  const result = parseConfig(gatewayConfigSchema, smallPlantYaml({ extra: "equalization: { enabled: true }" }));
  assert.ok(result.ok);
  const effective = resolveEqualization(result.config.equalization, {
    id: 1,
    nominalBlockVoltage: 12,
    capacityAh: 100,
  });
  assert.deepEqual(
    { band: effective.band, target: effective.target, discharge: effective.dischargeCurrent },
    { band: 0.03, target: 0.015, discharge: 1 },
  );
});

test("equalization is off unless enabled, so no bypass is switched by default", () => {
  const result = parseConfig(gatewayConfigSchema, smallPlantYaml());
  assert.ok(result.ok);
  assert.equal(result.config.equalization.enabled, false);
});

test("invalid equalization settings are rejected at load with the path named", () => {
  assert.deepEqual(errors("equalization: { band: 0.02, target: 0.02 }"), [
    "equalization.target: target (0.02 V) must be below band (0.02 V) for string 1",
  ]);
  assert.deepEqual(errors("equalization: { strings: { '2': { target: 0.05 } } }"), [
    "equalization.strings.2.target: target (0.05 V) must be below band (0.03 V) for string 2",
  ]);
  assert.deepEqual(errors("equalization: { strings: { '9': { band: 0.02 } } }"), [
    "equalization.strings.9: no string 9 is configured",
  ]);
  assert.match(errors("equalization: { timeout: soon }").join("\n"), /^equalization\.timeout: expected e\.g\. 500ms/);
  assert.match(errors("equalization: { bandwidth: 0.02 }").join("\n"), /^equalization: Unrecognized key: "bandwidth"/);
  assert.match(errors("equalization: { band: -0.01 }").join("\n"), /^equalization\.band: /);
});
