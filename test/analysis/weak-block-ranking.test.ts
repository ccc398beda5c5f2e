import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Principal } from "../../src/core/adapter.js";
import { allDevicesOk, rowOf, sim, startTestGateway, TEST_ADMIN, type TestGateway } from "../helpers/gateway.js";
import { analysisOf, analysisPlantYaml, eventually } from "./helpers.js";

// 3600×: one wall second is one plant hour. Resistance is measured every plant hour, i.e. every wall second.
const YAML = analysisPlantYaml({
  timeScale: 3600,
  extra: `analysis:
  resistance: { interval: 1h, settlingPeriod: 0, trendWindow: 4 }
alarms:
  raiseDelay: 100ms
  clearDelay: 100ms
  suppress: { afterResistanceMeasurement: { duration: 0 } }`,
});

describe("internal resistance schedule, baselines and weak-block ranking", () => {
  let gateway: TestGateway;
  before(async () => {
    gateway = await startTestGateway(YAML);
    await allDevicesOk(gateway);
  });
  after(async () => {
    await gateway?.close();
  });

  it("captures every block's baseline from its first measurement when the settling period is 0", async () => {
    const api = analysisOf(gateway);
    const health = await eventually("all baselines settled", () => {
      const all = api.ranking({ all: true });
      return all.length === 6 && all.every((h) => h.baselineSettled && h.baseline > 0) ? all : undefined;
    });
    for (const h of health) {
      assert.equal(h.deviationFromBaseline, 0, `block ${h.block} starts at its baseline`);
      assert.equal(gateway.services.resistanceBaselines?.get(rowOf(gateway, 1, h.block)), h.baseline);
    }
    assert.deepEqual(api.ranking(), [], "a new string has no weak block");
  });

  it("flags an ageing block through scheduled measurements, ranks it first with its reasons and raises alarm 110", async () => {
    const api = analysisOf(gateway);
    await sim(gateway, "set", "1/4", "ageing", "150");
    const first = await eventually("block 4 ranked first as above baseline, median and rising", () => {
      const [top] = api.ranking();
      return top?.block === 4 &&
        top.reasons.includes("resistance-above-baseline") &&
        top.reasons.includes("resistance-above-median") &&
        top.reasons.includes("resistance-rising")
        ? top
        : undefined;
    });
    assert.ok(first.deviationFromBaseline >= 20, `deviation ${first.deviationFromBaseline} %`);
    assert.ok(first.soh < 100, "SOH falls with the resistance");
    assert.match(first.text, /over baseline/);
    assert.ok(
      api
        .ranking({ all: true })
        .slice(1)
        .every((h) => h.score < first.score),
      "every other block scores lower",
    );
    await gateway.waitFor((s) => s.alarms.some((a) => a.eventId === 110 && a.stringId === 1 && a.block === 4));
    const row = rowOf(gateway, 1, 4);
    await gateway.waitFor((s) => s.value("block.soh", row) < 100 && s.value("string.soh", 0) < 100);
    const other = gateway.model.current().value("block.soh", rowOf(gateway, 1, 1));
    assert.equal(other, 100, "a healthy block keeps SOH 100 %");
  });

  it("captures a new baseline on command, for one block, and refuses a viewer", async () => {
    const viewer: Principal = { user: "v", roles: ["viewer"], source: "test" };
    const refused = await gateway.commands.run(viewer, { kind: "capture-baseline", stringId: 1, block: 4 });
    assert.equal(refused.ok, false);
    const result = await gateway.commands.run(TEST_ADMIN, { kind: "capture-baseline", stringId: 1, block: 4 });
    assert.equal(result.ok, true, JSON.stringify(result));
    const row = rowOf(gateway, 1, 4);
    const measured = gateway.model.current().value("block.resistance", row);
    const baseline = gateway.services.resistanceBaselines?.get(row) ?? Number.NaN;
    assert.ok(Math.abs(baseline - measured) / measured < 0.1, `baseline ${baseline} near the latest ${measured}`);
    const bad = await gateway.commands.run(TEST_ADMIN, { kind: "capture-baseline", stringId: 1, block: 99 });
    assert.deepEqual(bad.ok ? "" : bad.code, "E_ANALYSIS_NO_BLOCK");
  });
});

describe("baseline settling period", () => {
  let gateway: TestGateway;
  before(async () => {
    gateway = await startTestGateway(
      analysisPlantYaml({ timeScale: 3600, extra: "analysis:\n  resistance: { interval: 0, settlingPeriod: 2h }" }),
    );
    await allDevicesOk(gateway);
  });
  after(async () => {
    await gateway?.close();
  });

  it("keeps the first measurement as a provisional baseline, then settles on the latest after the period", async () => {
    const api = analysisOf(gateway);
    const row = rowOf(gateway, 1, 2);
    const provisional = await eventually("provisional baseline learned", () => {
      const b = gateway.services.resistanceBaselines?.get(row);
      return b !== undefined && b > 0 ? b : undefined;
    });
    assert.equal(api.block(1, 2)?.baselineSettled, false);
    await sim(gateway, "set", "1/2", "resistance", "+10%");
    await eventually("block 2 settled", () => (api.block(1, 2)?.baselineSettled ? true : undefined));
    const settled = gateway.services.resistanceBaselines?.get(row) ?? Number.NaN;
    assert.ok(Math.abs(settled / provisional - 1.1) < 0.001, `settled ${settled} is the +10 % value`);
  });
});
