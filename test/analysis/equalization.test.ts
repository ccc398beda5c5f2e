import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { EqualizationBlockStatus } from "../../src/core/analysis/equalization.js";
import { EventWatch } from "../alarms/helpers.js";
import { allDevicesOk, rowOf, sim, smallPlantYaml, startTestGateway, type TestGateway } from "../helpers/gateway.js";

/**
 * Equalization end to end: the real gateway polls the simulator, decides from the snapshots and switches the
 * simulated probes' bypasses through its own equalize command; the simulator's bypass pulls a high block down.
 */

const EXTRA = [
  "equalization: { enabled: true, timeout: 6s }",
  "alarms:",
  "  rules:",
  "    equalization-failed: { raiseDelay: 0, clearDelay: 0 }",
].join("\n");

/** Block 4's deviation from the string mean, from the simulator's ground truth. */
async function simDeviation(gateway: TestGateway, block: number): Promise<number> {
  const voltages: number[] = [];
  for (let b = 1; b <= 8; b++) {
    const [status] = JSON.parse(await sim(gateway, "status", `1/${b}`)) as [{ block: { voltage: number } }];
    voltages.push(status.block.voltage);
  }
  const mean = voltages.reduce((a, x) => a + x, 0) / voltages.length;
  return (voltages[block - 1] as number) - mean;
}

function statusOf(gateway: TestGateway, block: number): EqualizationBlockStatus {
  const status = gateway.services.equalization?.blocks(1).find((b) => b.block === block);
  assert.ok(status, "services.equalization reports every block");
  return status;
}

describe("equalization in float", () => {
  let gateway: TestGateway;
  let watch: EventWatch;

  before(async () => {
    gateway = await startTestGateway(smallPlantYaml({ strings: 1, blocks: 8, extra: EXTRA }));
    watch = new EventWatch(gateway);
    await allDevicesOk(gateway);
    // The simulated blocks start with a spread of up to ±60 mV: let the first round of balancing finish.
    await gateway.waitFor(
      () => (gateway.services.equalization?.blocks(1) ?? []).every((b) => b.state === "off" && b.deviation < 0.03),
      15_000,
    );
  });

  after(async () => {
    watch?.dispose();
    await gateway?.close();
  });

  test("a block above the band is equalized until it is back inside, and its time active is reported", async () => {
    const row = rowOf(gateway, 1, 3);
    await sim(gateway, "set", "1/3", "voltage", "+0.08");
    await gateway.waitFor((s) => s.value("block.equalization", row) === 1, 5000);
    assert.equal(statusOf(gateway, 3).state, "active");
    const [truth] = JSON.parse(await sim(gateway, "status", "1/3")) as [{ block: { equalizing: boolean } }];
    assert.equal(truth.block.equalizing, true, "the simulated probe's bypass is on");

    await gateway.waitFor(
      (s) => s.value("block.equalization", row) === 0 && statusOf(gateway, 3).state === "off",
      15_000,
    );
    const status = statusOf(gateway, 3);
    assert.ok(status.totalActiveMs > 0, `time active is counted (${status.totalActiveMs} ms)`);
    assert.ok(status.deviation <= 0.03, `the gateway sees block 3 inside the 30 mV band (${status.deviation} V)`);
    const deviation = await simDeviation(gateway, 3);
    assert.ok(deviation <= 0.03, `the simulator's block 3 is inside the band (${deviation} V above the mean)`);
    assert.ok(
      watch.records.every((r) => r.eventId !== 112),
      "a block that converges raises no equalization failure",
    );
  });

  test("a block the bypass cannot pull down is reported failed with alarm 112, and recovers when back in band", async () => {
    const row = rowOf(gateway, 1, 5);
    const mark = watch.mark();
    await sim(gateway, "fault", "1/5", "unbalanceable");
    await sim(gateway, "set", "1/5", "voltage", "+0.08");
    await gateway.waitFor((s) => s.value("block.equalization", row) === 1, 5000);
    const raised = await watch.next((r) => r.eventId === 112 && r.kind === "alarm-raised", 12_000, mark);
    assert.equal(raised.stringId, 1);
    assert.equal(raised.block, 5);
    const snapshot = await gateway.waitFor((s) => s.value("block.equalization", row) === 2);
    assert.ok(
      snapshot.alarms.some((a) => a.eventId === 112 && a.block === 5),
      "112 is in the active alarm list",
    );
    assert.equal(statusOf(gateway, 5).state, "failed");
    const [truth] = JSON.parse(await sim(gateway, "status", "1/5")) as [{ block: { equalizing: boolean } }];
    assert.equal(truth.block.equalizing, false, "a failed block's bypass is switched off");

    // The block comes back into band by other means: the failure clears.
    await sim(gateway, "fault", "1/5", "none");
    await sim(gateway, "set", "1/5", "voltage", "-0.08");
    await watch.next((r) => r.eventId === 112 && r.kind === "alarm-cleared", 8000, mark);
    await gateway.waitFor((s) => s.value("block.equalization", row) !== 2);
    assert.equal(statusOf(gateway, 5).state, "off");
  });

  test("nothing is equalized while the string discharges, and a running bypass is switched off", async () => {
    const row = rowOf(gateway, 1, 6);
    await sim(gateway, "set", "1/6", "voltage", "+0.15");
    await gateway.waitFor((s) => s.value("block.equalization", row) === 1, 5000);
    await sim(gateway, "discharge", "1", "20");
    await gateway.waitFor((s) => s.value("block.equalization", row) === 0, 5000);
    assert.equal(gateway.services.equalization?.strings()[0]?.mode, "discharge");
    // A manual start during discharge is undone too: never equalize in discharge.
    await gateway.commands.run(
      { user: "tester", roles: ["admin"], source: "test" },
      { kind: "equalize", on: true, stringId: 1, block: 2 },
    );
    const row2 = rowOf(gateway, 1, 2);
    await gateway.waitFor((s) => s.value("block.equalization", row2) === 1, 5000);
    await gateway.waitFor((s) => s.value("block.equalization", row2) === 0, 5000);
    assert.ok(
      (gateway.services.equalization?.blocks(1) ?? []).every((b) => b.state !== "active"),
      "no block is active in discharge",
    );
    await sim(gateway, "float", "1");
    await gateway.waitFor((s) => s.value("block.equalization", row) === 1, 8000);
  });
});

describe("equalization when the gateway stops", () => {
  test("every bypass the gateway switched on is switched off before it stops polling", async () => {
    const gateway = await startTestGateway(
      smallPlantYaml({ strings: 1, blocks: 8, extra: "equalization: { enabled: true, timeout: 10m }" }),
    );
    try {
      await allDevicesOk(gateway);
      await sim(gateway, "set", "1/3", "voltage", "+0.20");
      await sim(gateway, "fault", "1/3", "unbalanceable"); // stays high, so the bypass stays on
      const row = rowOf(gateway, 1, 3);
      await gateway.waitFor((s) => s.value("block.equalization", row) === 1, 8000);
      assert.equal(statusOf(gateway, 3).state, "active");
    } finally {
      await gateway.close();
    }
    const simulator = gateway.simulator ?? assert.fail("the test gateway runs the simulator");
    const [truth] = simulator.control.status("1/3") as [{ block: { equalizing: boolean } }];
    assert.equal(truth.block.equalizing, false, "the simulated probe's bypass is off after the gateway stopped");
  });
});
