import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import type { Principal } from "../../src/core/adapter.js";
import { RECEIVE_BUFFER_BYTES } from "../../src/protocols/bacnet/adapter.js";
import { afterSweeps, allDevicesOk, smallPlantYaml, startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { bacnetYaml, freeSharedPort, TestClient } from "./helpers.js";

const AI = 0;
const BI = 3;
const BV = 5;
const DEVICE = 8;
const MSI = 13;
const VIEW = 29;
const PV = 85;
const admin: Principal = { user: "test", roles: ["admin"], source: "test" };

describe("BACnet/IP device read by an independent client (bacstack)", () => {
  let gateway: TestGateway;
  let client: TestClient;
  let port: number;

  before(async () => {
    port = await freeSharedPort();
    gateway = await startTestGateway(smallPlantYaml({ extra: bacnetYaml(port) }));
    await allDevicesOk(gateway);
    client = new TestClient(port);
  });
  after(async () => {
    client?.close();
    await gateway?.close();
  });

  it("answers a directed Who-Is with an I-Am carrying its instance, max APDU and no segmentation", async () => {
    const iAm = new Promise<{ deviceId: number; maxApdu: number; segmentation: number }>((resolve) =>
      client.raw.on("iAm", (device: never) => resolve(device)),
    );
    client.raw.whoIs({ address: "127.0.0.2" });
    const device = await iAm;
    assert.equal(device.deviceId, 4711);
    assert.equal(device.maxApdu, 1476);
    assert.equal(device.segmentation, 3);
  });

  it("describes itself in the Device object: vendor, model, location from the site, object list", async () => {
    assert.equal(await client.value(DEVICE, 4711, 121), "bms-gateway project");
    assert.match(String(await client.value(DEVICE, 4711, 70)), /bms-gateway/);
    assert.equal(await client.value(DEVICE, 4711, 58), "Lab");
    assert.equal(await client.value(DEVICE, 4711, 62), 1476);
    const first = await client.read(DEVICE, 4711, 76, { arrayIndex: 1 });
    assert.deepEqual(first.values[0]?.value, { type: DEVICE, instance: 4711 });
    const all = await client.read(DEVICE, 4711, 76);
    assert.ok(all.values.length > 100, `object list of a 2 x 8 plant, got ${all.values.length}`);
  });

  it("serves block voltage as an analog input in volts whose value matches the model", async () => {
    const snap = await gateway.waitFor((s) => s.sample("block.voltage", 2).quality === "good");
    const instance = 1 * 10_000 + 3 * 10 + 1; // string 1, block 3, point 1
    const value = Number(await client.value(AI, instance, PV));
    assert.ok(Math.abs(value - snap.value("block.voltage", 2)) < 0.05, `read ${value}`);
    assert.equal(await client.value(AI, instance, 117), 5); // volts
    assert.equal(await client.value(AI, 1 * 10_000 + 3 * 10 + 3, 117), 145); // milliohms
    assert.equal(await client.value(AI, 1 * 10_000 + 3 * 10 + 2, 117), 62); // degrees Celsius
    assert.equal(await client.value(AI, 1 * 100 + 2, 117), 3); // string current in amperes
  });

  it("serves the string charge state as a multi-state input with its state texts", async () => {
    const instance = 1 * 100 + 3;
    assert.equal(await client.value(MSI, instance, 74), 5);
    const text = await client.read(MSI, instance, 110);
    assert.deepEqual(
      text.values.map((v) => v.value),
      ["unknown", "float", "charge", "discharge", "rest"],
    );
    const state = Number(await client.value(MSI, instance, PV));
    assert.ok(state >= 1 && state <= 5);
  });

  it("serves alarms as binary inputs and relay outputs as binary values", async () => {
    const alarm = await client.value(BI, 1_000_000 + 1 * 1000 + 101, PV);
    assert.ok(alarm === 0 || alarm === 1);
    assert.equal(await client.value(BI, 1_000_000 + 1 * 1000 + 101, 77), "S1.alarm.block-voltage-high");
    assert.equal(await client.value(BV, 1 * 100 + 10, 77), "S1.loadDisconnect");
  });

  it("groups each string's objects in a Structured View", async () => {
    assert.equal(await client.value(VIEW, 2, 77), "S2");
    const list = await client.read(VIEW, 2, 211);
    assert.ok(list.values.length > 50, `subordinates of string 2, got ${list.values.length}`);
  });

  it("answers ReadPropertyMultiple with ALL with every property of the object", async () => {
    const result = await client.readMultiple([
      { objectId: { type: AI, instance: 10_011 }, properties: [{ id: 8 }] },
      { objectId: { type: MSI, instance: 10_014 }, properties: [{ id: 105 }] },
    ]);
    const ids = result.values[0]?.values.map((v) => v.id) ?? [];
    for (const required of [75, 77, 79, 85, 111, 36, 81, 117, 103, 22])
      assert.ok(ids.includes(required), `property ${required}`);
    const msi = result.values[1]?.values.map((v) => v.id) ?? [];
    assert.ok(msi.includes(74) && !msi.includes(110), "REQUIRED gives Number_Of_States, not the optional State_Text");
  });

  it("asks the kernel for a 4 MiB receive buffer, so a burst of requests queues instead of being dropped", async () => {
    // ss shows the socket's buffer as the kernel keeps it: twice the value set, capped at net.core.rmem_max.
    const rmemMax = Number(readFileSync("/proc/sys/net/core/rmem_max", "utf8"));
    const { stdout } = await promisify(execFile)("ss", ["-u", "-a", "-n", "-m", "-H", "src", `127.0.0.2:${port}`]);
    const buffer = Number(/rb(\d+)/.exec(stdout)?.[1]);
    assert.equal(buffer, 2 * Math.min(RECEIVE_BUFFER_BYTES, rmemMax), stdout);
  });

  it("reports an unknown object as an error and a reply too large for the client as an abort", async () => {
    await assert.rejects(client.read(AI, 3_999_999, PV), /BacnetError - Class:1 - Code:31/);
    await assert.rejects(client.read(DEVICE, 4711, 76, { maxApdu: 1 }), /BacnetAbort - Reason:4/);
  });

  it("refuses writes while writes are disabled", async () => {
    await assert.rejects(
      client.write(BV, 1 * 100 + 10, PV, [{ type: 9, value: 0 }]),
      /BacnetError - Class:2 - Code:40/,
    );
    await assert.rejects(client.write(AI, 10_011, PV, [{ type: 4, value: 1 }]), /BacnetError - Class:2 - Code:40/);
  });

  it("sends COV notifications when the simulator changes a value, and none after cancellation", async () => {
    const instance = 1 * 10_000 + 3 * 10 + 1;
    const seen: number[] = [];
    let wake: (() => void) | undefined;
    client.raw.on("covNotifyUnconfirmed", (message: never) => {
      const request = (
        message as {
          request: {
            monitoredObjectId: { instance: number };
            values: { property: { id: number }; value: { value: number }[] }[];
          };
        }
      ).request;
      if (request.monitoredObjectId.instance !== instance) return;
      const pv = request.values.find((v) => v.property.id === PV)?.value[0]?.value;
      if (pv !== undefined) seen.push(pv);
      wake?.();
    });
    const until = async (predicate: () => boolean) => {
      while (!predicate()) await new Promise<void>((resolve) => (wake = resolve));
    };
    await client.subscribe(AI, instance, 7, false, false, 120);
    await until(() => seen.length >= 1); // initial notification
    const set = await gateway.commands.run(admin, { kind: "sim", args: ["set", "1/3", "voltage", "12.5"] });
    assert.ok(set.ok, JSON.stringify(set));
    await until(() => seen.some((v) => Math.abs(v - 12.5) < 0.001));

    await client.subscribe(AI, instance, 7, true, false, 0);
    const count = seen.length;
    await gateway.commands.run(admin, { kind: "sim", args: ["set", "1/3", "voltage", "12.9"] });
    const row = 2;
    const _changed = await gateway.waitFor((s) => Math.abs(s.value("block.voltage", row) - 12.9) < 0.001);
    await afterSweeps(gateway, 1);
    // A read round trip after the change: any notification sent for it would have arrived first.
    await client.value(AI, instance, PV);
    assert.equal(seen.length, count, "no notification after cancellation");
  });

  it("delivers confirmed COV notifications to a confirmed subscriber", async () => {
    const instance = 2 * 10_000 + 5 * 10 + 2; // string 2, block 5, temperature
    const got = new Promise<number>((resolve) =>
      client.raw.on("covNotify", (message: never) => {
        const m = message as {
          address: string;
          invokeId: number;
          request: { monitoredObjectId: { instance: number } };
        };
        client.raw.simpleAckResponse(m.address, 1, m.invokeId);
        if (m.request.monitoredObjectId.instance === instance) resolve(m.request.monitoredObjectId.instance);
      }),
    );
    await client.subscribe(AI, instance, 9, false, true, 60);
    assert.equal(await got, instance);
    await client.subscribe(AI, instance, 9, true, true, 0);
  });
});

describe("BACnet/IP device identified by nmap", () => {
  let gateway: TestGateway;
  let port: number;
  let dataDir: string;
  before(async () => {
    port = await freeSharedPort();
    gateway = await startTestGateway(smallPlantYaml({ strings: 1, blocks: 2, extra: bacnetYaml(port) }));
    // nmap runs bacnet-info only on ports it believes are BACnet: give it a services file naming ours.
    dataDir = mkdtempSync(join(tmpdir(), "bmsgw-nmap-"));
    writeFileSync(join(dataDir, "nmap-services"), `bacnet\t${port}/udp\t0.001\n`);
  });
  after(async () => {
    await gateway?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it("is reported by nmap --script bacnet-info with our vendor, instance and location", async () => {
    const { stdout } = await promisify(execFile)(
      "nmap",
      ["-n", "-sU", "-p", String(port), "--datadir", dataDir, "--script", "bacnet-info", "127.0.0.2"],
      { timeout: 60_000 },
    );
    assert.match(stdout, /Vendor Name: bms-gateway project/);
    assert.match(stdout, /Object-identifier: 4711/);
    assert.match(stdout, /Location: Lab/);
  });
});
