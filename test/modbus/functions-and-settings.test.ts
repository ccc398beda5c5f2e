import assert from "node:assert/strict";
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import type { EventRecord } from "../../src/core/events.js";
import { settingByName } from "../../src/core/settings.js";
import { allDevicesOk, startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { mbpoll, mbpollValues, modbusPort, modbusYaml, testAuth } from "./helpers.js";
import { RawModbusClient } from "./raw-client.js";

const run = promisify(execFile);
const PROBE = new URL("./pymodbus-probe.py", import.meta.url).pathname;

/** The settings block as documented in docs/generated/register-map.md: setting i at 500 + 2·(i − 1), s32. */
const SETTINGS_BASE = 500;
const reference = (index: number) => SETTINGS_BASE + 2 * (index - 1) + 1; // mbpoll counts from 1

interface ProbeResult {
  echo: { message?: string; exception?: number };
  basic: { conformity?: number; objects?: Record<string, string>; exception?: number };
  regular: { conformity?: number; objects?: Record<string, string>; exception?: number };
  individual: { objects?: Record<string, string>; exception?: number };
  unknownObject: { exception?: number };
  readWrite: { registers?: number[]; exception?: number };
}

/** Runs the pymodbus master: FC08/00 echo, FC43/14 basic, regular, individual, FC23 with the given ranges. */
async function pymodbus(
  port: number,
  unit: number,
  readWrite: { read: number; count: number; write: number; values: number[] },
): Promise<ProbeResult> {
  const args = [PROBE, String(port), String(unit), String(readWrite.read), String(readWrite.count)];
  args.push(String(readWrite.write), readWrite.values.join(","));
  const { stdout } = await run("/usr/bin/python3", args, { timeout: 20_000 });
  return JSON.parse(stdout) as ProbeResult;
}

function setting(gateway: TestGateway, name: string): number {
  const value = gateway.services.settings?.list().find((s) => s.name === name)?.value;
  assert.ok(value !== undefined, `setting ${name} is listed`);
  return value;
}

function write16(address: number, words: number[]): Buffer {
  const pdu = Buffer.alloc(6 + 2 * words.length);
  pdu[0] = 0x10;
  pdu.writeUInt16BE(address, 1);
  pdu.writeUInt16BE(words.length, 3);
  pdu[5] = 2 * words.length;
  words.forEach((w, i) => {
    pdu.writeUInt16BE(w, 6 + 2 * i);
  });
  return pdu;
}

describe("Modbus diagnostics, device identification and read/write multiple, with a pymodbus master", () => {
  let gateway: TestGateway;
  let port: number;
  before(async () => {
    gateway = await startTestGateway(modbusYaml(), { services: [], auth: testAuth, controlSocket: false });
    await allDevicesOk(gateway);
    port = modbusPort(gateway);
  });
  after(() => gateway?.close());

  it("echoes FC08 sub-function 0, names vendor, product and version on FC43/14, and refuses FC23 while writes are off", async () => {
    const result = await pymodbus(port, 1, { read: 0, count: 4, write: 900, values: [1] });
    assert.deepEqual(result.echo, { message: "1234" }, "FC08/00 returns the query data");
    const version = (await import("../../package.json", { with: { type: "json" } })).default.version;
    assert.deepEqual(result.basic.objects, { "0": "bms-gateway project", "1": "bmsgw", "2": version });
    assert.equal(result.basic.conformity, 0x82);
    assert.deepEqual(result.regular.objects, {
      "0": "bms-gateway project",
      "1": "bmsgw",
      "2": version,
      "4": "bms-gateway battery-monitoring gateway",
      "5": "register map layout 1",
      "6": "Test plant",
    });
    assert.deepEqual(result.individual.objects, { "5": "register map layout 1" });
    assert.deepEqual(result.unknownObject, { exception: 2 }, "an object we do not have is exception 02");
    assert.deepEqual(result.readWrite, { exception: 1 }, "FC23 writes, so it is refused like any write");
  });

  it("answers other FC08 sub-functions and other MEI types with exception 01 and a short FC08 with 03", async () => {
    const client = await RawModbusClient.open(port);
    assert.deepEqual([...(await client.request(1, Buffer.from([8, 0, 1, 0, 0])))], [0x88, 1]);
    assert.deepEqual([...(await client.request(1, Buffer.from([8, 0])))], [0x88, 3]);
    assert.deepEqual([...(await client.request(1, Buffer.from([0x2b, 0x0d, 1, 0])))], [0xab, 1]);
    assert.deepEqual([...(await client.request(1, Buffer.from([0x2b, 0x0e, 5, 0])))], [0xab, 3]);
    client.close();
  });
});

describe("Modbus settings registers (alarm thresholds from the settings catalogue)", () => {
  let gateway: TestGateway;
  let port: number;
  let audits: EventRecord[];
  before(async () => {
    gateway = await startTestGateway(modbusYaml(", writes: { enabled: true, allow: [127.0.0.1/32], role: admin }"), {
      services: [],
      auth: testAuth,
      controlSocket: false,
    });
    audits = [];
    gateway.bus.on("event", (r) => {
      if (r.name === "remote-write") audits.push(r);
    });
    await allDevicesOk(gateway);
    port = modbusPort(gateway);
  });
  after(() => gateway?.close());

  it("serves every setting in force as a scaled 32-bit value that mbpoll reads", async () => {
    const list = gateway.services.settings?.list() ?? [];
    assert.ok(list.length >= 18);
    const out = await mbpoll(
      ["-m", "tcp", "-p", String(port), "-a", "1", "-t", "4:int", "-B"].concat([
        "-r",
        String(SETTINGS_BASE + 1),
        "-c",
        String(list.length),
        "127.0.0.1",
      ]),
    );
    const values = mbpollValues(out);
    for (const s of list)
      assert.equal(values.get(reference(s.index)), Math.round(s.value * s.scale), `${s.name} (${out})`);
  });

  it("changes a threshold written by mbpoll through config-set, reads it back and audits it", async () => {
    const def = settingByName("blockVoltageHighAlarm");
    assert.ok(def);
    const before = setting(gateway, def.name);
    const wanted = Math.round((before + 0.2) * 1000);
    const out = await mbpoll(
      ["-m", "tcp", "-p", String(port), "-a", "1", "-t", "4:int", "-B"].concat([
        "-r",
        String(reference(def.index)),
        "127.0.0.1",
        String(wanted),
      ]),
    );
    assert.match(out, /Written 1 references/);
    assert.equal(setting(gateway, def.name), wanted / 1000, "the value in force changed");
    const back = mbpollValues(
      await mbpoll(
        ["-m", "tcp", "-p", String(port), "-a", "2", "-t", "4:int", "-B", "-r", String(reference(def.index))].concat([
          "127.0.0.1",
        ]),
      ),
    );
    assert.equal(back.get(reference(def.index)), wanted, "every unit serves the new value");
    const audit = audits.find((a) => a.detail?.address === String(SETTINGS_BASE) && a.detail.outcome === "ok");
    assert.ok(audit, "the write is audited");
  });

  it("answers a value the configuration rejects with exception 03 and keeps the old value", async () => {
    const before = setting(gateway, "blockVoltageHighAlarm");
    const client = await RawModbusClient.open(port);
    // 5 V is below the high warning level: the ordering check of the alarms schema rejects it.
    assert.deepEqual([...(await client.request(1, write16(SETTINGS_BASE, [0, 5000])))], [0x90, 3]);
    // A negative voltage fails the schema itself.
    assert.deepEqual([...(await client.request(1, write16(SETTINGS_BASE, [0xffff, 0xfc18])))], [0x90, 3]);
    assert.equal(setting(gateway, "blockVoltageHighAlarm"), before);
    assert.ok(audits.some((a) => a.detail?.outcome === "failed"));
    client.close();
  });

  it("refuses half a setting (FC06, or an FC16 starting at the low word) with exception 02", async () => {
    const client = await RawModbusClient.open(port);
    const fc06 = Buffer.from([6, 0x01, 0xf5, 0x00, 0x01]); // register 501
    assert.deepEqual([...(await client.request(1, fc06))], [0x86, 2]);
    assert.deepEqual([...(await client.request(1, write16(SETTINGS_BASE + 1, [0, 1])))], [0x90, 2]);
    assert.deepEqual([...(await client.request(1, write16(SETTINGS_BASE + 2 * 17, [0, 1, 0])))], [0x90, 2]);
    client.close();
  });

  it("lets pymodbus change a setting with FC23 and reads the new value in the same reply", async () => {
    const def = settingByName("blockTemperatureHighAlarm");
    assert.ok(def);
    const wanted = Math.round((setting(gateway, def.name) + 1) * def.scale);
    const at = SETTINGS_BASE + 2 * (def.index - 1);
    const result = await pymodbus(port, 1, { read: at, count: 2, write: at, values: [wanted >>> 16, wanted & 0xffff] });
    assert.deepEqual(result.readWrite, { registers: [wanted >>> 16, wanted & 0xffff] });
    assert.equal(setting(gateway, def.name), wanted / def.scale);
  });

  it("answers pipelined reads behind a settings write in order, the later read seeing the change", async () => {
    const def = settingByName("socLow");
    assert.ok(def);
    const at = SETTINGS_BASE + 2 * (def.index - 1);
    const wanted = Math.round((setting(gateway, def.name) + 1) * def.scale);
    const client = await RawModbusClient.open(port);
    const read = Buffer.from([4, at >> 8, at & 0xff, 0, 2]);
    const replies = await Promise.all([
      client.request(1, read),
      client.request(1, write16(at, [wanted >>> 16, wanted & 0xffff])),
      client.request(1, read),
    ]);
    client.close();
    assert.equal(replies[1]?.[0], 0x10, "the write succeeded");
    assert.equal(replies[2]?.readUInt32BE(2), wanted, "the read behind the write sees the new value");
    assert.deepEqual(
      client.received.map((f) => f.readUInt16BE(0)),
      [...client.received.map((f) => f.readUInt16BE(0))].sort((a, b) => a - b),
      "replies in request order",
    );
  });
});

describe("Modbus settings over the RTU slave on a socat pty pair", () => {
  let gateway: TestGateway;
  let socat: ChildProcess | undefined;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "bmsgw-modbus-settings-"));
    const a = join(dir, "gateway-side");
    socat = spawn("socat", [`pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${join(dir, "master-side")}`], {
      stdio: "ignore",
    });
    for (let i = 0; i < 100 && !existsSync(a); i++) await new Promise((r) => setTimeout(r, 50));
    gateway = await startTestGateway(
      modbusYaml(
        `, writes: { enabled: true, serial: true, role: admin }, rtu: { enabled: true, path: ${a}, baudRate: 19200, parity: even }`,
      ),
      { services: [], auth: testAuth, controlSocket: false },
    );
    await allDevicesOk(gateway);
  });
  after(async () => {
    await gateway?.close();
    socat?.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  });

  it("answers FC08 echo, FC43/14 identification and FC23 over RTU as over TCP", async () => {
    // pymodbus's serial client cannot configure a pty, so the frames are written raw.
    const { SerialPort } = await import("serialport");
    const { withCrc, hasValidCrc } = await import("../../src/core/fieldbus/crc16.js");
    const master = new SerialPort({ path: join(dir, "master-side"), baudRate: 19200, parity: "even", autoOpen: false });
    await new Promise<void>((resolve, reject) => master.open((e) => (e ? reject(e) : resolve())));
    let received = Buffer.alloc(0);
    master.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
    });
    const ask = async (pdu: number[], replyLength: (b: Buffer) => number) => {
      received = Buffer.alloc(0);
      master.write(withCrc(Buffer.from([1, ...pdu])));
      for (let i = 0; i < 60 && !(received.length >= 3 && received.length >= replyLength(received)); i++)
        await new Promise((r) => setTimeout(r, 50));
      assert.ok(hasValidCrc(received), `a whole reply with a valid CRC: ${received.toString("hex")}`);
      return received.subarray(1, received.length - 2);
    };
    try {
      const echo = await ask([8, 0, 0, 0x12, 0x34], () => 8);
      assert.deepEqual([...echo], [8, 0, 0, 0x12, 0x34]);
      const identity = await ask([0x2b, 0x0e, 1, 0], (b) => (b.length > 8 ? b.length : 64));
      assert.equal(identity[0], 0x2b);
      assert.match(identity.toString("latin1"), /bmsgw/);
      // FC23 is framed and dispatched: its write part targets read-only register 0, so exception 02 comes back.
      const readWrite = await ask([0x17, 0, 0, 0, 2, 0, 0, 0, 1, 2, 0, 0], (b) => ((b[1] ?? 0) & 0x80 ? 5 : 9));
      assert.deepEqual([...readWrite], [0x97, 2]);
    } finally {
      await new Promise<void>((resolve) => master.close(() => resolve()));
    }
  });

  it("changes a threshold written by mbpoll over RTU once the configuration accepted it, and refuses a bad one", async () => {
    const def = settingByName("blockTemperatureHighWarning");
    assert.ok(def);
    const wanted = Math.round((setting(gateway, def.name) + 2) * def.scale);
    const rtu = ["-m", "rtu", "-b", "19200", "-P", "even", "-a", "1", "-t", "4:int", "-B", "-r"];
    const out = await mbpoll([...rtu, String(reference(def.index)), join(dir, "master-side"), String(wanted)]);
    assert.match(out, /Written 1 references/);
    assert.equal(setting(gateway, def.name), wanted / def.scale);
    // 99 °C is above the high alarm (45 °C): the ordering check rejects it, the master sees an exception.
    const bad = await mbpoll([...rtu, String(reference(def.index)), join(dir, "master-side"), "990"]);
    assert.doesNotMatch(bad, /Written 1 references/);
    assert.match(bad, /Illegal data value/i);
    assert.equal(setting(gateway, def.name), wanted / def.scale, "the refused value changed nothing");
  });
});

describe("Modbus settings writes for an operator writer", () => {
  let gateway: TestGateway;
  before(async () => {
    gateway = await startTestGateway(modbusYaml(", writes: { enabled: true, allow: [127.0.0.1/32] }"), {
      services: [],
      auth: testAuth,
      controlSocket: false,
    });
    await allDevicesOk(gateway);
  });
  after(() => gateway?.close());

  it("refuses a settings write with exception 01 when writes.role is operator", async () => {
    const before = setting(gateway, "blockVoltageHighAlarm");
    const client = await RawModbusClient.open(modbusPort(gateway));
    assert.deepEqual([...(await client.request(1, write16(SETTINGS_BASE, [0, 15000])))], [0x90, 1]);
    client.close();
    assert.equal(setting(gateway, "blockVoltageHighAlarm"), before);
  });
});

describe("Modbus 32-bit values with wordOrder low-first", () => {
  let gateway: TestGateway;
  before(async () => {
    gateway = await startTestGateway(modbusYaml(", wordOrder: low-first"), {
      services: [],
      auth: testAuth,
      controlSocket: false,
    });
    await allDevicesOk(gateway);
  });
  after(() => gateway?.close());

  it("puts the low word first in every 32-bit register pair, as mbpoll's default word order reads it", async () => {
    await gateway.poller.stop(); // freeze the model
    const port = modbusPort(gateway);
    const client = await RawModbusClient.open(port);
    // A commit requested by the last device read may still land: read again until no snapshot came in between.
    let snap = gateway.model.current();
    let system = await client.readInput(1, 0, 9);
    while (gateway.model.current() !== snap) {
      snap = gateway.model.current();
      system = await client.readInput(1, 0, 9);
    }
    client.close();
    const word = (i: number) => system.readUInt16BE(2 + 2 * i);
    assert.equal(word(2) + 0x10000 * word(3), snap.topology.blockCount, "plant.blocks (u32 at 2)");
    assert.equal(word(3), 0, "high word of a small count comes second");
    assert.equal(word(5) + 0x10000 * word(6), snap.version, "snapshot.version (u32 at 5)");
    assert.equal(word(7) + 0x10000 * word(8), Math.floor(snap.time / 1000), "snapshot.time (u32 at 7)");
    // mbpoll without -B reads 32-bit values low word first.
    const list = gateway.services.settings?.list() ?? [];
    const values = mbpollValues(
      await mbpoll(
        ["-m", "tcp", "-p", String(port), "-a", "1", "-t", "3:int", "-r", String(SETTINGS_BASE + 1)].concat([
          "-c",
          String(list.length),
          "127.0.0.1",
        ]),
      ),
    );
    for (const s of list) assert.equal(values.get(reference(s.index)), Math.round(s.value * s.scale), s.name);
    // Block resistance (u32, µΩ, offset 6 of the block record) of block 1 of string 1.
    const resistance = snap.sample("block.resistance", gateway.topology.strings[0]?.firstBlockRow ?? 0);
    assert.equal(resistance.quality, "good", "the simulator has measured resistance");
    const blocks = mbpollValues(
      await mbpoll(["-m", "tcp", "-p", String(port), "-a", "1", "-t", "3:int", "-r", "1007", "127.0.0.1"]),
    );
    assert.equal(blocks.get(1007), Math.round(resistance.value * 1000), "block.resistance in µΩ");
  });
});
