import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { parse, stringify } from "yaml";
import { afterSweeps, allDevicesOk, startTestGateway, type TestGateway } from "../helpers/gateway.js";

describe("the shipped demo plant (config/demo.yaml)", () => {
  let gateway: TestGateway;
  before(async () => {
    // The demo's listeners use fixed ports; the test keeps the plant and turns the network interfaces off.
    const demo = parse(readFileSync("config/demo.yaml", "utf8"));
    delete demo.protocols;
    delete demo.notifications;
    gateway = await startTestGateway(stringify(demo));
  });
  after(() => gateway.close());

  it("polls all 480 blocks, 4 string sensors, 4 relay modules and the environment sensor with good quality", async () => {
    const _first = await allDevicesOk(gateway, 20_000);
    const snap = await afterSweeps(gateway, 2);
    assert.equal(snap.topology.blockCount, 480);
    for (let row = 0; row < 480; row++) assert.equal(snap.sample("block.voltage", row).quality, "good");
    for (let s = 0; s < 4; s++) {
      const v = snap.sample("string.voltage", s);
      assert.equal(v.quality, "good", `string ${s + 1} voltage ${v.value} V is plausible`);
      assert.ok(v.value > 120 * 13 && v.value < 120 * 14);
      assert.equal(snap.sample("string.loadDisconnect", s).value, 1);
    }
    assert.equal(snap.sample("system.ambientTemperature", 0).quality, "good");
  });
});
