import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { EventRecord } from "../../src/core/events.js";
import { allDevicesOk, rowOf, sim, smallPlantYaml, startTestGateway, type TestGateway } from "../helpers/gateway.js";

describe("poller fault handling against simulator faults", () => {
  let gateway: TestGateway;
  const events: EventRecord[] = [];
  before(async () => {
    gateway = await startTestGateway(smallPlantYaml({ strings: 2, blocks: 6 }));
    gateway.bus.on("event", (e) => events.push(e));
    await allDevicesOk(gateway);
  });
  after(() => gateway.close());

  const deviceOfBlock = (stringId: number, block: number) => {
    const d = gateway.topology.devices.find(
      (x) =>
        x.role.kind === "blocks" &&
        gateway.topology.strings[x.role.stringIndex]?.id === stringId &&
        x.role.firstBlock === block,
    );
    if (!d) throw new Error("no device");
    return d.index;
  };

  it("declares an offline probe comm-lost after the configured failed polls and raises an event", async () => {
    const device = deviceOfBlock(1, 4);
    const row = rowOf(gateway, 1, 4);
    const before = gateway.model.current().sample("block.voltage", row).value;
    await sim(gateway, "offline", "1/4");
    const snap = await gateway.waitFor((s) => s.devices[device]?.comm === "comm-lost");
    assert.ok((snap.devices[device]?.consecutiveFailures ?? 0) >= 2, "commLossAfter is 2 in the test plant");
    const v = snap.sample("block.voltage", row);
    assert.equal(v.quality, "comm-lost");
    assert.equal(v.value, before, "the last good value is kept, marked comm-lost");
    assert.equal(snap.sample("block.voltage", rowOf(gateway, 1, 5)).quality, "good", "neighbours are unaffected");
    const lost = events.find((e) => e.name === "device-comm-lost" && e.stringId === 1 && e.block === 4);
    assert.ok(lost, "a device-comm-lost event names string 1 block 4");
  });

  it("recovers a probe that answers again, with good quality and a restored event", async () => {
    const device = deviceOfBlock(1, 4);
    await sim(gateway, "online", "1/4");
    const snap = await gateway.waitFor((s) => s.devices[device]?.comm === "ok");
    await gateway.waitFor((s) => s.version > snap.version);
    assert.equal(gateway.model.current().sample("block.voltage", rowOf(gateway, 1, 4)).quality, "good");
    assert.ok(events.some((e) => e.name === "device-comm-restored" && e.block === 4));
  });

  it("retries replies corrupted by line noise and never accepts a wrong value", async () => {
    const master = () => gateway.poller.statistics("bus2")?.stats;
    await sim(gateway, "set", "2", "voltage", "12.345");
    // Every block of the string shows the set value before the noise starts (commits follow each device's read).
    await gateway.waitFor((s) =>
      [1, 2, 3, 4, 5, 6].every((b) => Math.abs(s.value("block.voltage", rowOf(gateway, 2, b)) - 12.345) < 1e-9),
    );
    const crcBefore = master()?.crcErrors ?? 0;
    const retriesBefore = master()?.retries ?? 0;
    await sim(gateway, "fault", "2", "crc", "0.3");
    const seen = new Set<number>();
    const dispose = gateway.bus.on("snapshot", (s) => {
      for (let b = 1; b <= 6; b++) {
        const sample = s.sample("block.voltage", rowOf(gateway, 2, b));
        if (sample.quality === "good") seen.add(sample.value);
      }
    });
    await gateway.waitFor(() => (master()?.crcErrors ?? 0) - crcBefore >= 10, 15_000);
    dispose();
    await sim(gateway, "fault", "2", "none");
    assert.deepEqual([...seen], [12.345], "every good value is the true one");
    assert.ok((master()?.retries ?? 0) > retriesBefore, "corrupted replies were retried");
  });

  it("reports a device of the wrong type at a configured address and takes no values from it", async () => {
    const device = deviceOfBlock(2, 2);
    await sim(gateway, "offline", "2/2");
    await gateway.waitFor((s) => s.devices[device]?.comm === "comm-lost");
    await sim(gateway, "fault", "2/2", "wrong-type");
    await sim(gateway, "online", "2/2");
    const snap = await gateway.waitFor((s) => s.devices[device]?.comm === "wrong-device");
    assert.match(snap.devices[device]?.note ?? "", /type 0x\w+ answers where cell-probe/);
    assert.equal(snap.sample("block.voltage", rowOf(gateway, 2, 2)).quality, "fault");
    assert.ok(events.some((e) => e.name === "device-identity-mismatch" && e.stringId === 2 && e.block === 2));
    await sim(gateway, "fault", "2/2", "none");
    await gateway.waitFor(
      (s) => s.devices[device]?.comm === "ok" && s.sample("block.voltage", rowOf(gateway, 2, 2)).quality === "good",
    );
  });

  it("treats replies slower than the timeout as failures", async () => {
    const device = deviceOfBlock(2, 3);
    await sim(gateway, "fault", "2/3", "slow", "400ms");
    await gateway.waitFor((s) => s.devices[device]?.comm === "comm-lost");
    await sim(gateway, "fault", "2/3", "none");
    await gateway.waitFor((s) => s.devices[device]?.comm === "ok");
  });

  it("keeps reporting the frozen value of a stuck probe", async () => {
    const row = rowOf(gateway, 1, 2);
    const device = deviceOfBlock(1, 2);
    // A read answered after `since` may have been asked before it; the read after that one was asked after it.
    const readAfter = async (since: number) => {
      const once = await gateway.waitFor((s) => (s.devices[device]?.lastOk ?? 0) > since);
      const lastOk = once.devices[device]?.lastOk ?? 0;
      return gateway.waitFor((s) => (s.devices[device]?.lastOk ?? 0) > lastOk);
    };
    const faultAt = Date.now();
    await sim(gateway, "fault", "1/2", "stuck");
    const first = (await readAfter(faultAt)).value("block.voltage", row);
    const setAt = Date.now();
    await sim(gateway, "set", "1/2", "voltage", "+0.5");
    const later = await readAfter(setAt);
    assert.equal(later.value("block.voltage", row), first);
    await sim(gateway, "fault", "1/2", "none");
  });
});

describe("commissioned serial numbers", () => {
  let gateway: TestGateway;
  const events: EventRecord[] = [];
  before(async () => {
    // The simulator's probe for block 2 of string 1 has serial 101002; the config commissioned another one.
    const yaml = smallPlantYaml({ strings: 1, blocks: 3 }).replace(
      "    probes: { profile: cell-probe, address: 1 }",
      '    probes: { profile: cell-probe, address: 1 }\n    serials: { "1": "101001", "2": "555555" }',
    );
    gateway = await startTestGateway(yaml, {});
    gateway.bus.on("event", (e) => events.push(e));
  });
  after(() => gateway.close());

  it("reports a probe whose serial differs from the commissioned one, and accepts the matching ones", async () => {
    const snap = await allDevicesOk(gateway);
    const swapped = snap.devices.find((d) => d.serial === "101002");
    assert.match(swapped?.note ?? "", /serial 101002 where 555555 was commissioned/);
    assert.equal(snap.devices.find((d) => d.serial === "101001")?.note, undefined);
    await gateway.waitFor(() => events.some((e) => e.name === "device-identity-mismatch" && e.block === 2));
  });
});
