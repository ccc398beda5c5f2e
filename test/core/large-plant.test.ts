import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { allDevicesOk, startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { largePlantYaml } from "../helpers/large-plant.js";

describe("a 10,000-block plant: 84 string masters on 4 buses", () => {
  let gateway: TestGateway;
  before(async () => {
    gateway = await startTestGateway(largePlantYaml());
  });
  after(() => gateway.close());

  it("loads the configuration into 84 strings and 10,000 block rows", () => {
    assert.equal(gateway.topology.strings.length, 84);
    assert.equal(gateway.topology.blockCount, 10_000);
    assert.equal(gateway.topology.devices.length, 84);
  });

  it("polls every block with good quality and string values from each master", async () => {
    const first = await allDevicesOk(gateway, 30_000);
    const snap = await gateway.waitFor((s) => s.version > first.version + 4, 30_000);
    const voltage = snap.column("block.voltage");
    let good = 0;
    for (let row = 0; row < 10_000; row++) {
      if (voltage.quality(row) === 0) good++;
      const v = voltage.value(row);
      assert.ok(v > 2.1 && v < 2.4, `2 V cell in float at row ${row}: ${v}`);
    }
    assert.equal(good, 10_000);
    for (let s = 0; s < 84; s++) assert.equal(snap.sample("string.voltage", s).quality, "good");
    // 720 block registers + 8 string registers per master: 6 reads of ≤ 125 registers each (plus any retries).
    const sweep = gateway.poller.statistics("bus1")?.lastSweep;
    assert.equal(sweep?.failedDevices, 0);
    assert.ok((sweep?.transactions ?? 0) >= 21 * 6);
  });
});
