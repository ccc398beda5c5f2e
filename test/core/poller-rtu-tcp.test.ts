import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { allDevicesOk, startTestGateway, type TestGateway } from "../helpers/gateway.js";

describe("poller over RTU-over-TCP against the simulator", () => {
  let gateway: TestGateway;
  before(async () => {
    gateway = await startTestGateway();
  });
  after(() => gateway.close());

  it("reads every block's voltage, temperature and resistance with good quality", async () => {
    const s = await allDevicesOk(gateway);
    const snap = await gateway.waitFor((x) => x.version > s.version + 1);
    for (let row = 0; row < snap.topology.blockCount; row++) {
      const v = snap.sample("block.voltage", row);
      assert.equal(v.quality, "good");
      assert.ok(v.value > 13 && v.value < 14, `float voltage of a 12 V block, got ${v.value}`);
      assert.equal(snap.sample("block.temperature", row).quality, "good");
      assert.ok(snap.value("block.resistance", row) > 3);
    }
  });

  it("matches the simulator's ground truth for a block the operator changed", async () => {
    const admin = { user: "t", roles: ["admin"] as const, source: "test" };
    const result = await gateway.commands.run(
      { ...admin, roles: [...admin.roles] },
      { kind: "sim", args: ["set", "2/5", "voltage", "11.234"] },
    );
    assert.ok(result.ok);
    const row = gateway.topology.strings[1]?.firstBlockRow + 4;
    const snap = await gateway.waitFor((x) => Math.abs(x.value("block.voltage", row) - 11.234) < 0.0005);
    assert.equal(snap.sample("block.voltage", row).quality, "good");
  });
});
