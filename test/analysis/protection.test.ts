import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { EventRecord } from "../../src/core/events.js";
import { EventWatch } from "../alarms/helpers.js";
import {
  afterSweeps,
  allDevicesOk,
  sim,
  smallPlantYaml,
  startTestGateway,
  type TestGateway,
} from "../helpers/gateway.js";

/**
 * Protection outputs end to end: the real gateway polls the simulator (8 × 12 V VRLA blocks and a relay module) and
 * drives the simulated relays through its own output command. Defaults for 12 V VRLA: load off below 10.5 V, back at
 * 11.7 V; charge off above 14.4 V, back at 13.8 V; above 50 °C (back at 47) and below 5 °C (back at 8).
 */

const EXTRA = [
  "protection:",
  "  enabled: true",
  "  loadDisconnect: { prealarmLead: 1s }",
  "  retryInterval: 300ms",
  "  failSafe: { staleAfter: 5s, recoverAfter: 1s }",
  "alarms:",
  "  rules:",
  "    load-disconnect-prealarm: { raiseDelay: 0, clearDelay: 0 }",
].join("\n");

interface Relays {
  load: boolean;
  charge: boolean;
  remote: boolean;
}

async function relays(gateway: TestGateway): Promise<Relays> {
  const [status] = JSON.parse(await sim(gateway, "status", "1")) as [{ relays: Relays }];
  return status.relays;
}

/** Waits until the simulator's relays (the plant's ground truth) are in the given state. */
async function relaysBecome(gateway: TestGateway, want: Partial<Relays>, timeoutMs = 6000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const now = await relays(gateway);
    if (Object.entries(want).every(([k, v]) => now[k as keyof Relays] === v)) return;
    if (Date.now() > until) assert.fail(`relays ${JSON.stringify(now)} did not become ${JSON.stringify(want)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Lets the gateway poll a few more times, so a wrong decision would have been taken by now. */
async function settle(gateway: TestGateway, sweeps = 6): Promise<void> {
  await afterSweeps(gateway, sweeps);
}

const output = (name: "load" | "charge", opened: boolean) => (r: EventRecord) =>
  r.eventId === (opened ? 221 : 222) && r.detail?.output === name;

describe("protection outputs (smallBMS behaviour)", () => {
  let gateway: TestGateway;
  let watch: EventWatch;

  before(async () => {
    gateway = await startTestGateway(smallPlantYaml({ strings: 1, blocks: 8, extra: EXTRA }));
    watch = new EventWatch(gateway);
    await allDevicesOk(gateway);
    await gateway.waitFor(() => gateway.services.protection?.strings()[0]?.load.closed === true);
  });

  after(async () => {
    watch?.dispose();
    await gateway?.close();
  });

  test("the load output opens below the threshold only after the pre-alarm, and recloses above the hysteresis", async () => {
    const mark = watch.mark();
    // The block crashes straight past the pre-alarm level: the disconnect still waits for the pre-alarm's lead.
    await sim(gateway, "set", "1/3", "voltage", "10.3");
    const prealarm = await watch.next((r) => r.eventId === 207 && r.kind === "alarm-raised", 6000, mark);
    const opened = await watch.next(output("load", true), 6000, mark);
    assert.ok(
      opened.time - prealarm.time >= 1000,
      `pre-alarm at ${prealarm.time}, disconnect at ${opened.time}: at least prealarmLead (1 s) apart`,
    );
    assert.equal(opened.detail?.reason, "under-voltage");
    assert.match(opened.text, /block 3 at 10\.3\d* V below 10\.500 V/);
    await relaysBecome(gateway, { load: false, charge: true });
    await watch.next((r) => r.eventId === 208 && r.kind === "alarm-raised", 6000, mark);

    // Above the disconnect level but below the reconnect level: stays open (hysteresis).
    await sim(gateway, "set", "1/3", "voltage", "11.4");
    await settle(gateway);
    assert.equal((await relays(gateway)).load, false, "11.4 V is inside the hysteresis: the load stays off");
    assert.ok(!watch.since(mark).some(output("load", false)), "no reclose event inside the hysteresis");

    await sim(gateway, "set", "1/3", "voltage", "auto");
    const closed = await watch.next(output("load", false), 6000, mark);
    assert.match(closed.text, /under-voltage cleared, every block at or above 11\.700 V/);
    await relaysBecome(gateway, { load: true });
    await watch.next((r) => r.eventId === 208 && r.kind === "alarm-cleared", 6000, mark);
  });

  test("the charge output opens on block over-voltage and recloses only below the reconnect level", async () => {
    const mark = watch.mark();
    await sim(gateway, "set", "1/2", "voltage", "14.6");
    const opened = await watch.next(output("charge", true), 6000, mark);
    assert.equal(opened.detail?.reason, "over-voltage");
    assert.equal(opened.threshold, 14.4);
    await relaysBecome(gateway, { charge: false, load: true });
    await sim(gateway, "set", "1/2", "voltage", "14.0");
    await settle(gateway);
    assert.equal((await relays(gateway)).charge, false, "14.0 V is inside the hysteresis: charging stays off");
    await sim(gateway, "set", "1/2", "voltage", "auto");
    await watch.next(output("charge", false), 6000, mark);
    await relaysBecome(gateway, { charge: true });
  });

  test("the charge output opens above 50 °C and below 5 °C, each with its hysteresis", async () => {
    let mark = watch.mark();
    await sim(gateway, "set", "1/4", "temperature", "52");
    const hot = await watch.next(output("charge", true), 6000, mark);
    assert.equal(hot.detail?.reason, "over-temperature");
    await relaysBecome(gateway, { charge: false });
    await sim(gateway, "set", "1/4", "temperature", "48.5");
    await settle(gateway);
    assert.equal((await relays(gateway)).charge, false, "48.5 °C is inside the 3 °C hysteresis");
    await sim(gateway, "set", "1/4", "temperature", "46");
    await watch.next(output("charge", false), 6000, mark);
    await relaysBecome(gateway, { charge: true });

    mark = watch.mark();
    await sim(gateway, "set", "1/4", "temperature", "3");
    const cold = await watch.next(output("charge", true), 6000, mark);
    assert.equal(cold.detail?.reason, "under-temperature");
    await relaysBecome(gateway, { charge: false, load: true });
    await sim(gateway, "set", "1/4", "temperature", "6.5");
    await settle(gateway);
    assert.equal((await relays(gateway)).charge, false, "6.5 °C is inside the 3 °C hysteresis");
    await sim(gateway, "set", "1/4", "temperature", "auto");
    await watch.next(output("charge", false), 6000, mark);
    await relaysBecome(gateway, { charge: true });
  });

  test("the remote on/off input turns both outputs off and back on", async () => {
    const mark = watch.mark();
    await sim(gateway, "remote", "1", "off");
    const load = await watch.next(output("load", true), 6000, mark);
    const charge = await watch.next(output("charge", true), 6000, mark);
    assert.equal(load.detail?.reason, "remote-off");
    assert.equal(charge.detail?.reason, "remote-off");
    await relaysBecome(gateway, { load: false, charge: false });
    await sim(gateway, "remote", "1", "on");
    await watch.next(output("load", false), 6000, mark);
    await watch.next(output("charge", false), 6000, mark);
    await relaysBecome(gateway, { load: true, charge: true });
  });

  test("stale block data puts both outputs in their fail-safe state (open) until the data is good again", async () => {
    const mark = watch.mark();
    await sim(gateway, "offline", "1/5");
    const failSafe = await watch.next((r) => r.eventId === 223, 6000, mark);
    assert.equal(failSafe.detail?.cause, "block 5 data stale");
    await relaysBecome(gateway, { load: false, charge: false });
    assert.equal(gateway.services.protection?.strings()[0]?.failSafe, true);
    await sim(gateway, "online", "1/5");
    await watch.next((r) => r.eventId === 224, 8000, mark);
    await relaysBecome(gateway, { load: true, charge: true });
    await gateway.waitFor((s) => !s.alarms.some((a) => a.eventId === 208 || a.eventId === 209));
  });

  test("a silent relay module puts protection in fail-safe, and the outputs are opened as soon as it answers", async () => {
    const mark = watch.mark();
    await sim(gateway, "offline", "1", "relay");
    const failSafe = await watch.next((r) => r.eventId === 223, 6000, mark);
    assert.equal(failSafe.detail?.cause, "relay module not answering");
    const state = gateway.services.protection?.strings()[0];
    assert.equal(state?.failSafe, true);
    assert.equal(state?.load.closed, false, "wanted: load open (fail-safe)");
    assert.equal(state?.charge.closed, false, "wanted: charge open (fail-safe)");
    assert.equal(state?.load.readBack, null, "the module's state is unknown while it is silent");
    assert.ok(
      gateway.health().some((h) => h.component === "protection" && h.state === "degraded"),
      "health reports the fail-safe",
    );
    // While silent the writes fail (and are retried); the module keeps its last state.
    await settle(gateway);
    assert.deepEqual(await relays(gateway), { load: true, charge: true, remote: true });

    const back = watch.mark();
    await sim(gateway, "online", "1", "relay");
    // The first thing the module hears is the fail-safe state (read back: both open) …
    await gateway.waitFor((s) =>
      (["string.loadDisconnect", "string.chargeDisconnect"] as const).every((point) => {
        const sample = s.sample(point, 0);
        return sample.quality === "good" && sample.value === 0;
      }),
    );
    // … and only after recoverAfter with good data and an answering module the outputs close again.
    const ended = await watch.next((r) => r.eventId === 224, 6000, back);
    assert.equal(ended.detail?.cause, "relay module not answering");
    await watch.next(output("load", false), 6000, back);
    await relaysBecome(gateway, { load: true, charge: true });
  });
});
