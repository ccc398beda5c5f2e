import assert from "node:assert/strict";
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import type { EventRecord } from "../../src/core/events.js";
import { afterSweeps, allDevicesOk, startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { mbpoll, mbpollValues, modbusPort, modbusYaml, testAuth } from "./helpers.js";
import { RawModbusClient } from "./raw-client.js";

const _run = promisify(execFile);

const write06 = (address: number, value: number) => {
  const pdu = Buffer.alloc(5);
  pdu[0] = 6;
  pdu.writeUInt16BE(address, 1);
  pdu.writeUInt16BE(value, 3);
  return pdu;
};

function collectAudits(gateway: TestGateway): EventRecord[] {
  const audits: EventRecord[] = [];
  gateway.bus.on("event", (r) => {
    if (r.name === "remote-write") audits.push(r);
  });
  return audits;
}

describe("Modbus writes with writes disabled (the default)", () => {
  let gateway: TestGateway;
  let audits: EventRecord[];
  before(async () => {
    gateway = await startTestGateway(modbusYaml(), { services: [], auth: testAuth, controlSocket: false });
    audits = collectAudits(gateway);
    await allDevicesOk(gateway);
  });
  after(() => gateway?.close());

  it("answers every write function with exception 01, changes nothing and audits the attempt", async () => {
    const client = await RawModbusClient.open(modbusPort(gateway));
    const before = gateway.model.current();
    const equalizeBlock3 = 1000 + 16 * 2 + 8;
    const requests = [
      write06(equalizeBlock3, 1),
      Buffer.from([5, 0x03, 0x88, 0xff, 0x00]), // FC05 coil 904? -> still refused
      Buffer.from([0x10, 0x03, 0x84, 0x00, 0x01, 0x02, 0x00, 0x01]), // FC16 ack-all
      Buffer.from([0x0f, 0x03, 0x8e, 0x00, 0x01, 0x01, 0x01]), // FC15 equalize string
    ];
    for (const pdu of requests) {
      const reply = await client.request(1, pdu);
      assert.deepEqual([...reply], [(pdu[0] as number) | 0x80, 1], `write ${pdu.toString("hex")} refused with 01`);
    }
    client.close();
    const later = await afterSweeps(gateway, 2);
    assert.equal(later.value("block.equalization", 2), before.value("block.equalization", 2));
    assert.equal(later.value("block.equalization", 2), 0);
    assert.equal(audits.length, 4);
    assert.ok(audits.every((a) => a.detail?.outcome === "refused" && a.user === "modbus:127.0.0.1"));
  });
});

describe("Modbus writes enabled for 127.0.0.1, over TCP and over an RTU slave on a socat pty pair", () => {
  let gateway: TestGateway;
  let audits: EventRecord[];
  let socat: ChildProcess | undefined;
  let dir: string;
  let port: number;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "bmsgw-modbus-"));
    const a = join(dir, "gateway-side");
    const b = join(dir, "master-side");
    socat = spawn("socat", ["-d", "-d", `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: "ignore" });
    for (let i = 0; i < 100 && !(existsSync(a) && existsSync(b)); i++) await new Promise((r) => setTimeout(r, 50));
    gateway = await startTestGateway(
      modbusYaml(
        `, writes: { enabled: true, allow: [127.0.0.1/32], serial: true }, rtu: { enabled: true, path: ${a}, baudRate: 19200, parity: even }`,
      ),
      { services: [], auth: testAuth, controlSocket: false },
    );
    audits = collectAudits(gateway);
    await allDevicesOk(gateway);
    port = modbusPort(gateway);
  });
  after(async () => {
    await gateway?.close();
    socat?.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  });

  it("refuses a write from an address outside the allow list with exception 01 and changes nothing", async () => {
    const _version = gateway.model.current().version;
    const client = await RawModbusClient.open(port, "127.0.0.2");
    const reply = await client.request(1, write06(1000 + 8, 1));
    client.close();
    assert.deepEqual([...reply], [0x86, 1]);
    const later = await afterSweeps(gateway, 2);
    assert.equal(later.value("block.equalization", 0), 0);
    assert.equal(audits.at(-1)?.detail?.outcome, "refused");
    assert.equal(audits.at(-1)?.user, "modbus:127.0.0.2");
  });

  it("rejects read-only registers with 02, bad values with 03 and output override for an operator with 01", async () => {
    const client = await RawModbusClient.open(port);
    assert.deepEqual([...(await client.request(1, write06(5, 1)))], [0x86, 2]);
    assert.deepEqual([...(await client.request(1, write06(910, 7)))], [0x86, 3]);
    assert.deepEqual([...(await client.request(1, write06(911, 0)))], [0x86, 1]);
    assert.deepEqual([...(await client.request(255, write06(911, 0)))], [0x86, 2]);
    client.close();
  });

  it("lets mbpoll start equalization of one block over TCP, runs it on the probe and audits it", async () => {
    // Block 3 of string 1: equalization at 1000 + 16·2 + 8 = 1040, mbpoll reference 1041.
    const out = await mbpoll(["-m", "tcp", "-p", String(port), "-a", "1", "-t", "4", "-r", "1041", "127.0.0.1", "1"]);
    assert.match(out, /Written 1 references/);
    const snap = await gateway.waitFor((s) => s.value("block.equalization", 2) === 1);
    assert.equal(snap.sample("block.equalization", 2).quality, "good");
    const audit = audits.find((a) => a.detail?.outcome === "ok" && a.detail.address === "1040");
    assert.ok(audit, "the write is audited with its outcome");
    assert.equal(audit.user, "modbus:127.0.0.1");
  });

  it("lets mbpoll switch equalization of a block over the RTU slave", async () => {
    const b = join(dir, "master-side");
    // Block 5 of string 2: 1000 + 16·4 + 8 = 1072, reference 1073.
    const out = await mbpoll(["-m", "rtu", "-b", "19200", "-P", "even", "-a", "2", "-t", "4", "-r", "1073", b, "1"]);
    assert.match(out, /Written 1 references/);
    const row = (gateway.topology.strings[1]?.firstBlockRow ?? 0) + 4;
    await gateway.waitFor((s) => s.value("block.equalization", row) === 1);
    assert.ok(audits.some((a) => a.detail?.transport === "rtu" && a.detail.outcome === "ok"));
  });

  it("reads the same registers with mbpoll over TCP and over RTU as the model holds them", async () => {
    await gateway.poller.stop(); // freeze the model
    const snap = gateway.model.current();
    const b = join(dir, "master-side");
    // Block 1..4 records of string 2 (input registers, 16-bit): references 1001..1064.
    const tcp = mbpollValues(
      await mbpoll(["-m", "tcp", "-p", String(port), "-a", "2", "-t", "3", "-r", "1001", "-c", "64", "127.0.0.1"]),
    );
    const rtu = mbpollValues(
      await mbpoll(["-m", "rtu", "-b", "19200", "-P", "even", "-a", "2", "-t", "3", "-r", "1001", "-c", "64", b]),
    );
    assert.equal(tcp.size, 64);
    assert.deepEqual([...rtu.entries()], [...tcp.entries()], "RTU and TCP serve the same map");
    const first = gateway.topology.strings[1]?.firstBlockRow ?? 0;
    for (let n = 1; n <= 4; n++) {
      const ref = 1001 + 16 * (n - 1);
      const mv = Math.round(snap.value("block.voltage", first + n - 1) * 1000);
      const temp = Math.round(snap.value("block.temperature", first + n - 1) * 10);
      assert.equal(tcp.get(ref + 2), mv, `block ${n} voltage in mV`);
      assert.equal(tcp.get(ref + 4), temp, `block ${n} temperature in 0.1 °C`); // mbpoll prints the u16 value
    }
  });

  it("ignores an RTU request with a bad CRC and still answers the next one", async () => {
    const b = join(dir, "master-side");
    const { SerialPort } = await import("serialport");
    const { withCrc } = await import("../../src/core/fieldbus/crc16.js");
    const master = new SerialPort({ path: b, baudRate: 19200, parity: "even", autoOpen: false });
    await new Promise<void>((resolve, reject) => master.open((e) => (e ? reject(e) : resolve())));
    const replies: Buffer[] = [];
    master.on("data", (chunk: Buffer) => replies.push(chunk));
    const good = withCrc(Buffer.from([1, 4, 0, 0, 0, 1]));
    const bad = Buffer.from(good);
    bad[bad.length - 1] = (bad[bad.length - 1] as number) ^ 0xff;
    master.write(bad);
    await new Promise((r) => setTimeout(r, 100));
    master.write(good);
    for (let i = 0; i < 40 && Buffer.concat(replies).length < 7; i++) await new Promise((r) => setTimeout(r, 50));
    await new Promise<void>((resolve) => master.close(() => resolve()));
    assert.deepEqual([...Buffer.concat(replies).subarray(0, 5)], [1, 4, 2, 0, 1], "only the good request is answered");
    const health = gateway.health().find((h) => h.component === "modbus");
    assert.ok((health?.counters.crcErrors ?? 0) >= 1, "the bad CRC is counted");
  });
});
