import assert from "node:assert/strict";
import { test } from "node:test";
import { gatewayConfigSchema } from "../../src/app/config-schema.js";
import { resolveProtection } from "../../src/core/analysis/protection-config.js";
import { parseConfig } from "../../src/core/config/load.js";
import { smallPlantYaml } from "../helpers/gateway.js";

function errors(extra: string, yaml = smallPlantYaml({ strings: 2, blocks: 4, extra })): string[] {
  const result = parseConfig(gatewayConfigSchema, yaml);
  return result.ok ? [] : result.errors.map((e) => `${e.path}: ${e.message}`);
}

test("protection is off by default and its levels follow the chemistry (smallBMS 2.8 V/cell for LiFePO4)", () => {
  const result = parseConfig(gatewayConfigSchema, smallPlantYaml());
  assert.ok(result.ok);
  assert.equal(result.config.protection.enabled, false);
  const p = result.config.protection;
  const lfp = resolveProtection(p, { id: 1, chemistry: "lifepo4", nominalBlockVoltage: 12.8, capacityAh: 100 });
  assert.deepEqual([lfp.loadOff, lfp.chargeOff, lfp.temperatureHigh, lfp.temperatureLow], [11.2, 14.6, 50, 5]);
  const vrla = resolveProtection(p, { id: 1, chemistry: "vrla", nominalBlockVoltage: 2, capacityAh: 100 });
  assert.deepEqual([vrla.loadOff, vrla.loadOn, vrla.chargeOff, vrla.chargeOn], [1.75, 1.95, 2.4, 2.3]);
  assert.deepEqual(p.failSafe, { load: "open", charge: "open", staleAfter: 30_000, recoverAfter: 10_000 });
});

test("invalid protection settings are rejected at load with the path named", () => {
  // A plant-wide setting wrong for both strings is reported once, at its path.
  assert.deepEqual(errors("protection: { enabled: true, loadDisconnect: { voltage: 10.5, reconnectVoltage: 10.4 } }"), [
    "protection.loadDisconnect.reconnectVoltage: reconnectVoltage (10.4 V) must be above voltage (10.5 V) for string 1",
  ]);
  assert.deepEqual(errors("protection: { strings: { '2': { chargeDisconnect: { reconnectVoltage: 14.5 } } } }"), [
    "protection.strings.2.chargeDisconnect.reconnectVoltage: reconnectVoltage (14.5 V) must be below voltage (14.4 V) for string 2",
  ]);
  assert.deepEqual(errors("protection: { chargeDisconnect: { temperatureLow: 40, temperatureHigh: 45 } }"), [
    "protection.chargeDisconnect.temperatureLow: temperatureLow (40 °C) plus hysteresis must stay below temperatureHigh (45 °C) minus hysteresis for string 1",
  ]);
  assert.deepEqual(errors("protection: { enabled: true, loadDisconnect: { voltage: 11.5, reconnectVoltage: 12 } }"), [
    "protection.loadDisconnect.voltage: voltage (11.5 V) must be below the load-disconnect pre-alarm level (11.1 V, alarms.thresholds.blockVoltage.loadDisconnectPrealarm) for string 1",
  ]);
  assert.deepEqual(
    errors("protection: { enabled: true }\nalarms: { rules: { load-disconnect-prealarm: { enabled: false } } }"),
    [
      "protection.loadDisconnect.prealarmLead: the load-disconnect pre-alarm is disabled in alarms.rules (enable it or set prealarmLead: 0)",
    ],
  );
  assert.deepEqual(errors("protection: { strings: { '7': {} } }"), ["protection.strings.7: no string 7 is configured"]);
  assert.match(errors("protection: { failSafe: { load: shut } }").join("\n"), /^protection\.failSafe\.load: /);
  assert.match(errors("protection: { failsafe: {} }").join("\n"), /^protection: Unrecognized key: "failsafe"/);
});

test("protection needs a relay module: enabling it without one is an error at protection.enabled", () => {
  const withoutRelay = smallPlantYaml({ strings: 1, blocks: 4, extra: "protection: { enabled: true }" }).replace(
    "    relay: { address: 220 }\n",
    "",
  );
  assert.deepEqual(errors("", withoutRelay), [
    "protection.enabled: no string has a relay module: configure strings[].relay or disable protection",
  ]);
});
