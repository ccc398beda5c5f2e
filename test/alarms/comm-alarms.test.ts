import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Principal } from "../../src/core/adapter.js";
import { allDevicesOk, smallPlantYaml, startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { admin, EventWatch, noAlarms, runScenario, type Scenario, sim } from "./helpers.js";

const ALARMS = `alarms:
  raiseDelay: 200ms
  clearDelay: 200ms
  rules:
    block-voltage-high: { latching: true }
  suppress: { afterResistanceMeasurement: { duration: 0 } }`;

const scenarios: Scenario[] = [
  {
    title: "probe communication lost",
    eventId: 114,
    stringId: 2,
    block: 3,
    apply: [["offline", "2/3"]],
    restore: [["online", "2/3"]],
    raiseDelay: 0,
    clearDelay: 0,
  },
  {
    title: "probe identity mismatch",
    eventId: 115,
    stringId: 2,
    block: 4,
    // The poller checks identity after a communication loss: swap the probe while it is unplugged.
    apply: [["offline", "2/4"], ["fault", "2/4", "wrong-type"], { waitMs: 800 }, ["online", "2/4"]],
    restore: [["offline", "2/4"], ["fault", "2/4", "none"], { waitMs: 800 }, ["online", "2/4"]],
    raiseDelay: 0,
    clearDelay: 0,
  },
  {
    title: "string sensor communication lost",
    eventId: 210,
    stringId: 2,
    apply: [["offline", "2"]],
    restore: [["online", "2"]],
    raiseDelay: 0,
    clearDelay: 0,
  },
  {
    title: "environment sensor communication lost",
    eventId: 302,
    apply: [["offline", "all"]],
    restore: [["online", "all"]],
    raiseDelay: 0,
    clearDelay: 0,
  },
];

describe("communication alarms, acknowledgement and latching", () => {
  let gateway: TestGateway;
  let watch: EventWatch;
  before(async () => {
    gateway = await startTestGateway(smallPlantYaml({ extra: ALARMS }));
    watch = new EventWatch(gateway);
    await allDevicesOk(gateway);
    await noAlarms(gateway);
  });
  after(async () => {
    watch.dispose();
    await gateway.close();
  });

  for (const s of scenarios)
    it(`raises and clears ${s.title} (${s.eventId}) from the device state`, async () => {
      await runScenario(gateway, watch, s);
    });

  it("keeps a latched alarm after its condition clears until an operator acknowledges it, and audits the ack", async () => {
    const mark = watch.mark();
    await sim(gateway, "set", "1/2", "voltage", "14.3");
    const raised = await watch.next((r) => r.kind === "alarm-raised" && r.eventId === 101, 8000, mark);
    await sim(gateway, "set", "1/2", "voltage", "auto");
    const latched = await gateway.waitFor((s) => s.alarms.some((a) => a.eventId === 101 && a.latched === true));
    const alarm = latched.alarms.find((a) => a.eventId === 101);
    assert.ok(alarm);
    assert.equal(latched.alarmSummary.warning, 1);
    assert.equal(latched.alarmSummary.unacknowledged, 1);
    assert.equal(latched.alarmSummary.byString["1"], 1);

    const viewer: Principal = { user: "watcher", roles: ["viewer"], source: "test" };
    const refused = await gateway.commands.run(viewer, { kind: "alarm-ack", alarmId: alarm.id });
    assert.equal(refused.ok, false);
    const unknown = await gateway.commands.run(admin, { kind: "alarm-ack", alarmId: 999_999 });
    assert.deepEqual(unknown.ok ? "ok" : unknown.code, "E_ALARM_UNKNOWN");

    const result = await gateway.commands.run(admin, { kind: "alarm-ack", alarmId: alarm.id });
    assert.ok(result.ok);
    const acked = await watch.next((r) => r.kind === "alarm-acknowledged" && r.eventId === 101, 4000, mark);
    assert.equal(acked.user, admin.user);
    const cleared = await watch.next((r) => r.kind === "alarm-cleared" && r.eventId === 101, 4000, mark);
    assert.ok(cleared.seq > raised.seq);
    await noAlarms(gateway);
    const audit = await watch.next((r) => r.kind === "audit" && r.eventId === 404, 4000, mark);
    assert.equal(audit.user, admin.user);

    const log = gateway.services.eventLog;
    assert.ok(log);
    await log.flush();
    const kinds = log.query({ eventId: [101, 404], from: raised.time, order: "asc" }).map((r) => r.kind);
    assert.deepEqual(kinds, ["alarm-raised", "alarm-acknowledged", "alarm-cleared", "audit"]);
  });
});
