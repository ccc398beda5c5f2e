import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { EventRecord } from "../../src/core/events.js";
import { allDevicesOk, sim, startTestGateway, type TestGateway } from "../helpers/gateway.js";

// One string of 4 probes on a bus that re-reads identities every 300 ms; the probes never stop answering.
const PLANT = `site: { name: Identity, location: Lab, contact: test@example.com }
buses:
  - id: bus1
    transport: { type: simulated, baudRate: 115200 }
    timing: { timeout: 100ms, retries: 1, pollInterval: 100ms, commLossAfter: 2, identityCheck: 300ms }
strings:
  - id: 1
    bus: bus1
    blocks: 4
    probes: { profile: cell-probe, address: 1 }
    serials: { "3": "101003" }
simulator: { enabled: true, seed: 7 }
alarms: { raiseDelay: 0, clearDelay: 0 }
`;

describe("identity re-check on a live bus", () => {
  let gateway: TestGateway;
  const events: EventRecord[] = [];
  before(async () => {
    gateway = await startTestGateway(PLANT);
    gateway.bus.on("event", (e) => events.push(e));
    await allDevicesOk(gateway);
  });
  after(async () => {
    await gateway?.close();
  });

  it("raises probe identity mismatch when another type answers without any communication loss, and clears it when fixed", async () => {
    await sim(gateway, "fault", "1/2", "wrong-type");
    await gateway.waitFor((s) => s.alarms.some((a) => a.eventId === 115 && a.block === 2), 5000);
    assert.ok(!events.some((e) => e.name === "device-comm-lost"), "the probe never stopped answering");
    await sim(gateway, "fault", "1/2", "none");
    await gateway.waitFor((s) => !s.alarms.some((a) => a.eventId === 115 && a.block === 2), 5000);
  });

  it("reports a swapped commissioned probe once, not at every re-check", async () => {
    await sim(gateway, "fault", "1/3", "swapped");
    await gateway.waitFor((s) => s.alarms.some((a) => a.eventId === 115 && a.block === 3), 5000);
    await new Promise((r) => setTimeout(r, 1000));
    const reports = events.filter((e) => e.name === "device-identity-mismatch" && e.block === 3);
    assert.equal(reports.length, 1, reports.map((e) => e.text).join("\n"));
    assert.match(reports[0]?.text ?? "", /serial 1101003 where 101003 was commissioned/);
  });

  it("notes a changed serial of an uncommissioned probe as an identity event", async () => {
    await sim(gateway, "fault", "1/4", "swapped");
    const deadline = Date.now() + 5000;
    while (!events.some((e) => e.name === "device-identity-mismatch" && e.block === 4) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    const report = events.find((e) => e.name === "device-identity-mismatch" && e.block === 4);
    assert.match(report?.text ?? "", /serial changed from 101004 to 1101004/);
  });
});
