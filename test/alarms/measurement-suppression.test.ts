import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { EventRecord } from "../../src/core/events.js";
import { allDevicesOk, sim, smallPlantYaml, startTestGateway, type TestGateway } from "../helpers/gateway.js";

// A resistance measurement disturbs block voltages: voltage alarms wait `duration` after resistances change.
const ALARMS = `alarms:
  raiseDelay: 0
  clearDelay: 0
  suppress: { afterResistanceMeasurement: { duration: 1500ms } }`;

describe("suppression after a resistance measurement", () => {
  let gateway: TestGateway;
  const events: EventRecord[] = [];
  before(async () => {
    gateway = await startTestGateway(smallPlantYaml({ strings: 1, blocks: 4, extra: ALARMS }));
    gateway.bus.on("event", (e) => events.push(e));
    await allDevicesOk(gateway);
    // Let the start-up window (first resistances) pass.
    await new Promise((r) => setTimeout(r, 1600));
  });
  after(async () => {
    await gateway?.close();
  });

  it("holds back a block voltage alarm inside the window and raises it once the window has passed", async () => {
    const before = gateway.model.current().value("block.resistance", 0);
    await sim(gateway, "set", "1/1", "resistance", "+5%");
    await gateway.waitFor((s) => s.value("block.resistance", 0) > before * 1.03);
    const changedAt = Date.now();
    await sim(gateway, "set", "1/2", "voltage", "14.25");
    const raised = await gateway.waitFor((s) => s.alarms.some((a) => a.eventId === 101 && a.block === 2), 8000);
    const alarm = raised.alarms.find((a) => a.eventId === 101 && a.block === 2);
    // Raised, but not before the window that started with the new resistance reading ended.
    assert.ok((alarm?.raisedAt ?? 0) >= changedAt + 1000, `raised ${(alarm?.raisedAt ?? 0) - changedAt} ms after`);
    await sim(gateway, "set", "1/2", "voltage", "auto");
  });
});
