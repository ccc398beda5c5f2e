import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { afterSweeps, allDevicesOk, rowOf, sim, startTestGateway, type TestGateway } from "../helpers/gateway.js";

describe("poller over RTU-over-TCP against the simulator", () => {
  let gateway: TestGateway;
  before(async () => {
    gateway = await startTestGateway();
  });
  after(() => gateway.close());

  it("reads every block's voltage, temperature and resistance with good quality", async () => {
    const _s = await allDevicesOk(gateway);
    const snap = await afterSweeps(gateway, 1);
    for (let row = 0; row < snap.topology.blockCount; row++) {
      const v = snap.sample("block.voltage", row);
      assert.equal(v.quality, "good");
      assert.ok(v.value > 13 && v.value < 14, `float voltage of a 12 V block, got ${v.value}`);
      assert.ok(v.time > 0);
      assert.equal(snap.sample("block.temperature", row).quality, "good");
      assert.ok(snap.value("block.resistance", row) > 3);
    }
    assert.equal(snap.sample("system.ambientTemperature", 0).quality, "good");
    assert.equal(snap.sample("string.loadDisconnect", 0).value, 1);
  });

  it("reports the value the simulator holds for a block an operator changed", async () => {
    await sim(gateway, "set", "2/5", "voltage", "11.234");
    const row = rowOf(gateway, 2, 5);
    const snap = await gateway.waitFor((x) => Math.abs(x.value("block.voltage", row) - 11.234) < 0.0005);
    assert.equal(snap.sample("block.voltage", row).quality, "good");
    assert.ok(Math.abs(snap.value("string.blockVoltageMin", 1) - 11.234) < 0.0005, "string minimum follows the block");
  });

  it("reads string current and voltage from the string sensor, matching the simulator", async () => {
    await sim(gateway, "discharge", "1", "50");
    const snap = await gateway.waitFor((x) => x.value("string.current", 0) < -49.9);
    assert.ok(Math.abs(snap.value("string.current", 0) + 50) < 0.01);
    assert.ok(snap.value("string.voltage", 0) > 8 * 11 && snap.value("string.voltage", 0) < 8 * 14);
    await sim(gateway, "float", "1");
  });

  it("switches a probe's equalizer through the command path and reads the state back", async () => {
    const result = await gateway.commands.run(
      { user: "op", roles: ["operator"], source: "test" },
      { kind: "equalize", on: true, stringId: 1, block: 3 },
    );
    assert.ok(result.ok, result.ok ? "" : result.error);
    const row = rowOf(gateway, 1, 3);
    await gateway.waitFor((x) => x.value("block.equalization", row) === 1);
  });

  it("refuses an equalize command from a viewer", async () => {
    const result = await gateway.commands.run(
      { user: "v", roles: ["viewer"], source: "test" },
      { kind: "equalize", on: true, stringId: 1 },
    );
    assert.equal(result.ok, false);
    assert.equal(result.ok ? "" : result.code, "E_FORBIDDEN");
  });
});
