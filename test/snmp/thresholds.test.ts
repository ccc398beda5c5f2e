import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { SETTINGS } from "../../src/core/settings.js";
import { allDevicesOk, sim, smallPlantYaml, startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { snmpPort, snmpSection, tool, V3_USER, V3_USER_AES256, v3Args } from "./helpers.js";

function setting(gateway: TestGateway, name: string): number {
  const value = gateway.services.settings?.list().find((s) => s.name === name)?.value;
  assert.ok(value !== undefined, `setting ${name} is listed`);
  return value;
}

describe("SNMP bmsThresholdTable backed by the settings catalogue", () => {
  let gateway: TestGateway;
  let target: string;

  before(async () => {
    const extra = `${snmpSection()}\nalarms: { raiseDelay: 0s, clearDelay: 0s }`;
    gateway = await startTestGateway(smallPlantYaml({ strings: 2, blocks: 8, extra }));
    await allDevicesOk(gateway);
    target = `127.0.0.1:${snmpPort(gateway.listeners())}`;
  });
  after(() => gateway?.close());

  it("lists every setting with its name, unit, scale and the scaled value in force", async () => {
    const r = await tool("snmpwalk", ["-v2c", "-c", "test-public", "-OQs", target, "bmsThresholdTable"]);
    assert.equal(r.code, 0, r.stderr);
    const values = new Map(
      r.stdout
        .trim()
        .split("\n")
        .map((l) => l.split(" = ") as [string, string]),
    );
    const list = gateway.services.settings?.list() ?? [];
    assert.equal(list.length, SETTINGS.length);
    for (const s of list) {
      assert.equal(values.get(`bmsThresholdName.${s.index}`), s.name);
      const asciiUnit = s.unit.replace("°", "deg").replace("Ω", "Ohm");
      assert.equal(values.get(`bmsThresholdUnit.${s.index}`), asciiUnit, "DisplayString is ASCII");
      assert.equal(values.get(`bmsThresholdScale.${s.index}`), String(s.scale));
      assert.equal(values.get(`bmsThresholdValue.${s.index}`), String(Math.round(s.value * s.scale)), s.name);
    }
  });

  it("lets a v3 admin at authPriv lower a threshold with snmpset, and the alarm raises at the new level", async () => {
    // Block 3 of string 1 at 13.9 V: under the 14.1 V high warning, so no alarm yet.
    await sim(gateway, "set", "1/3", "voltage", "13.9");
    await gateway.waitFor((s) => Math.abs(s.value("block.voltage", 2) - 13.9) < 0.01);
    const raisedFor = (s: ReturnType<TestGateway["model"]["current"]>) =>
      s.alarms.some((a) => a.eventId === 101 && a.stringId === 1 && a.block === 3);
    assert.equal(raisedFor(gateway.model.current()), false, "no high-voltage warning before the change");
    const set = await tool("snmpset", [...v3Args(V3_USER), target, "bmsThresholdValue.2", "i", "13700"]);
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stdout, /bmsThresholdValue\.2 = INTEGER: 13700/);
    assert.equal(setting(gateway, "blockVoltageHighWarning"), 13.7, "the value in force changed");
    const get = await tool("snmpget", ["-v2c", "-c", "test-public", "-OQv", target, "bmsThresholdValue.2"]);
    assert.equal(get.stdout.trim(), "13700", "the new value reads back");
    await gateway.waitFor(raisedFor, 10_000);
  });

  it("answers a wrong type with wrongType and a value the configuration rejects with wrongValue", async () => {
    const before = setting(gateway, "blockVoltageHighAlarm");
    // -Ir: snmpset would refuse the wrong type itself; send it, so the agent has to.
    const typed = await tool("snmpset", [...v3Args(V3_USER), "-Ir", target, "bmsThresholdValue.1", "s", "14.5"]);
    assert.match(typed.stderr + typed.stdout, /wrongType/);
    // 5 V is below the high warning: the alarms section's ordering check rejects it.
    const low = await tool("snmpset", [...v3Args(V3_USER), target, "bmsThresholdValue.1", "i", "5000"]);
    assert.match(low.stderr + low.stdout, /wrongValue/);
    const negative = await tool("snmpset", [...v3Args(V3_USER), target, "bmsThresholdValue.1", "i", "-1"]);
    assert.match(negative.stderr + negative.stdout, /wrongValue/);
    assert.equal(setting(gateway, "blockVoltageHighAlarm"), before, "nothing changed");
  });

  it("refuses the SET for a non-admin v3 user and for a community, and changes nothing", async () => {
    const before = setting(gateway, "blockVoltageHighAlarm");
    const reader = await tool("snmpset", [...v3Args(V3_USER_AES256), target, "bmsThresholdValue.1", "i", "14500"]);
    assert.match(reader.stderr + reader.stdout, /noAccess/);
    const community = await tool("snmpset", ["-v2c", "-c", "test-public", target, "bmsThresholdValue.1", "i", "14500"]);
    assert.match(community.stderr + community.stdout, /noAccess/);
    assert.equal(setting(gateway, "blockVoltageHighAlarm"), before);
  });
});
