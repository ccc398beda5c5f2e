import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import modbusSerial from "modbus-serial";
import { eventById } from "../../src/core/alarms/catalogue.js";
import type { ActiveAlarm } from "../../src/core/events.js";
import { type PlantSnapshot, Q_COMM_LOST, Q_FAULT, Q_GOOD, Q_STALE, QUALITIES } from "../../src/core/model.js";
import { POINTS, type PointId, pointById } from "../../src/core/points.js";
import type { StringInfo } from "../../src/core/topology.js";
import { afterSweeps, allDevicesOk, startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { modbusPort, modbusYaml, testAuth } from "./helpers.js";

/** The committed, generated register map is the table this test walks. */
interface MapEntry {
  area: string;
  address: number;
  words: number;
  name: string;
  type: "u16" | "s16" | "u32" | "s32" | "bits16" | "ascii";
  scale: number;
  point?: string;
  setting?: string;
}
const MAP = JSON.parse(readFileSync(new URL("../../docs/generated/register-map.json", import.meta.url), "utf8")) as {
  addressing: { blockRecordBase: number; blockRecordStride: number };
  entries: MapEntry[];
};
const RECORD_BASE = MAP.addressing.blockRecordBase;
const STRIDE = MAP.addressing.blockRecordStride;

// Independent decoding of the wire, written from the documentation, not from the server code.
const SENTINEL = { u16: 0xffff, s16: -0x8000, u32: 0xffffffff, s32: -0x80000000 } as const;
const LIMIT = { u16: [0, 0xfffe], s16: [-0x7fff, 0x7fff], u32: [0, 0xfffffffe], s32: [-0x7fffffff, 0x7fffffff] };

function decode(words: number[], at: number, type: MapEntry["type"]): number {
  const w = words[at] ?? Number.NaN;
  if (type === "u16" || type === "bits16") return w;
  if (type === "s16") return w >= 0x8000 ? w - 0x10000 : w;
  const u = (words[at] ?? 0) * 0x10000 + (words[at + 1] ?? 0); // high word first (the default)
  return type === "u32" ? u : u >= 0x80000000 ? u - 0x100000000 : u;
}

function expectedPoint(snap: PlantSnapshot, point: string, row: number, entry: MapEntry): number {
  const s = snap.sample(point as PointId, row);
  const type = entry.type as keyof typeof SENTINEL;
  if (s.quality !== "good" || !Number.isFinite(s.value)) return SENTINEL[type];
  const [lo, hi] = LIMIT[type] as [number, number];
  return Math.min(hi, Math.max(lo, Math.round(s.value * entry.scale)));
}

function qualityWord(snap: PlantSnapshot, scope: "system" | "string" | "block", row: number, register: number): number {
  let word = 0;
  for (let n = 8 * register + 1; n <= 8 * register + 8; n++) {
    const id = findPoint(scope, n);
    if (!id) continue;
    word |= QUALITIES.indexOf(snap.sample(id, row).quality) << (2 * (n - 1 - 8 * register));
  }
  return word;
}

function findPoint(scope: string, number: number): PointId | undefined {
  return POINTS.find((p) => p.scope === scope && p.number === number)?.id as PointId | undefined;
}

function alarmMask(alarms: readonly ActiveAlarm[], scope: string, filter: (a: ActiveAlarm) => boolean): number {
  let mask = 0;
  for (const a of alarms) {
    const def = eventById(a.eventId);
    if (def?.scope === scope && def.bit !== undefined && filter(a)) mask |= 1 << def.bit;
  }
  return mask;
}

function ascii(words: number[], at: number, count: number): string {
  const bytes: number[] = [];
  for (let i = 0; i < count; i++) bytes.push((words[at + i] ?? 0) >> 8, (words[at + i] ?? 0) & 0xff);
  return Buffer.from(bytes).toString("latin1").replace(/\0+$/, "");
}

const SEVERITY = { info: 0, warning: 1, critical: 2 } as const;

/** Expected wire value of a non-point entry; `i` is the alarm list index. */
function expectedFixed(name: string, snap: PlantSnapshot, string: StringInfo | null, i: number, n: number): number {
  const summary = snap.alarmSummary;
  const commLost = snap.devices.filter((d) => d.comm === "comm-lost").length;
  const sorted = [...snap.alarms].sort(
    (a, b) => SEVERITY[b.severity] - SEVERITY[a.severity] || b.raisedAt - a.raisedAt || b.id - a.id,
  );
  const alarm = sorted[i];
  const ofString = (a: ActiveAlarm) => a.stringId === string?.id;
  const row = string ? string.firstBlockRow + n - 1 : 0;
  const table: Record<string, () => number> = {
    "map.version": () => 1,
    "plant.strings": () => snap.topology.strings.length,
    "plant.blocks": () => snap.topology.blockCount,
    "unit.stringId": () => string?.id ?? 0,
    "snapshot.version": () => snap.version,
    "snapshot.time": () => Math.floor(snap.time / 1000),
    "alarms.critical": () => summary.critical,
    "alarms.warning": () => summary.warning,
    "alarms.info": () => summary.info,
    "alarms.unacknowledged": () => summary.unacknowledged,
    "alarms.summary": () =>
      (summary.critical ? 1 : 0) |
      (summary.warning ? 2 : 0) |
      (summary.info ? 4 : 0) |
      (summary.unacknowledged ? 8 : 0) |
      (commLost ? 16 : 0),
    "system.alarms": () => alarmMask(snap.alarms, "system", () => true),
    "devices.commLost": () => commLost,
    "system.quality.1": () => qualityWord(snap, "system", 0, 0),
    "system.quality.2": () => qualityWord(snap, "system", 0, 1),
    "string.id": () => string?.id ?? 0,
    "string.blocks": () => string?.blockCount ?? 0,
    "string.alarms": () => (string ? alarmMask(snap.alarms, "string", ofString) : 0),
    "string.blockAlarms": () => (string ? alarmMask(snap.alarms, "block", ofString) : 0),
    "string.activeAlarms": () => (string ? snap.alarms.filter(ofString).length : 0),
    "string.quality.1": () => (string ? qualityWord(snap, "string", string.index, 0) : 0x5555),
    "string.quality.2": () => (string ? qualityWord(snap, "string", string.index, 1) : 0x5555),
    "alarmList.total": () => snap.alarms.length,
    "alarmList.listed": () => Math.min(24, snap.alarms.length),
    "alarmList[i].id": () => alarm?.id ?? 0,
    "alarmList[i].eventId": () => alarm?.eventId ?? 0,
    "alarmList[i].stringId": () => alarm?.stringId ?? 0,
    "alarmList[i].block": () => alarm?.block ?? 0,
    "alarmList[i].flags": () =>
      alarm ? SEVERITY[alarm.severity] | (alarm.acknowledgedAt ? 0x100 : 0) | (alarm.latched ? 0x200 : 0) : 0,
    "alarmList[i].raisedAt": () => (alarm ? Math.floor(alarm.raisedAt / 1000) : 0),
    "command.acknowledgeAll": () => 0,
    "command.equalize": () => {
      const rows = string
        ? Array.from({ length: string.blockCount }, (_, k) => string.firstBlockRow + k)
        : Array.from({ length: snap.topology.blockCount }, (_, k) => k);
      return rows.some((r) => {
        const s = snap.sample("block.equalization", r);
        return s.quality === "good" && s.value === 1;
      })
        ? 1
        : 0;
    },
    "command.loadOutput": () => output(snap, string, "string.loadDisconnect"),
    "command.chargeOutput": () => output(snap, string, "string.chargeDisconnect"),
    "block.quality": () => qualityWord(snap, "block", row, 0),
    "block.alarms": () => alarmMask(snap.alarms, "block", (a) => ofString(a) && a.block === n),
  };
  const f = table[name];
  if (!f) throw new Error(`the test has no expectation for register map entry ${name}; add one`);
  return f();
}

function output(snap: PlantSnapshot, string: StringInfo | null, id: PointId): number {
  if (!string) return 0xffff;
  const s = snap.sample(id, string.index);
  return s.quality === "good" ? (s.value ? 1 : 0) : 0xffff;
}

describe("the generated register map read through an independent Modbus client", () => {
  let gateway: TestGateway;
  let client: InstanceType<typeof modbusSerial.default>;
  let snap: PlantSnapshot;

  before(async () => {
    gateway = await startTestGateway(modbusYaml(), { services: [], auth: testAuth, controlSocket: false });
    await allDevicesOk(gateway);
    await afterSweeps(gateway, 2);
    // Freeze the model so the expectations and the wire come from the same snapshot.
    await gateway.poller.stop();
    const now = Date.now();
    const s2 = gateway.topology.strings[1] as StringInfo;
    gateway.store.write("block.voltage", s2.firstBlockRow + 2, Number.NaN, Q_COMM_LOST, now);
    gateway.store.write("block.temperature", s2.firstBlockRow + 3, 31.5, Q_STALE, now);
    gateway.store.write("block.temperature", 1, -12.3, Q_GOOD, now);
    gateway.store.write("block.resistance", 2, 4.321, Q_FAULT, now);
    gateway.store.write("block.equalization", 5, 1, Q_GOOD, now);
    gateway.store.write("string.current", 1, -42.125, Q_GOOD, now);
    gateway.store.write("string.soc", 0, 87.44, Q_GOOD, now);
    const alarms: ActiveAlarm[] = [
      {
        id: 70001,
        eventId: 109,
        name: "block-resistance-high",
        severity: "critical",
        stringId: 1,
        block: 3,
        raisedAt: now - 5000,
        text: "r",
      },
      {
        id: 70002,
        eventId: 105,
        name: "block-temperature-high",
        severity: "warning",
        stringId: 2,
        block: 4,
        raisedAt: now - 4000,
        text: "t",
        acknowledgedAt: now,
        latched: true,
      },
      { id: 70003, eventId: 206, name: "discharge", severity: "info", stringId: 2, raisedAt: now - 3000, text: "d" },
      {
        id: 70004,
        eventId: 302,
        name: "environment-sensor-comm-lost",
        severity: "warning",
        raisedAt: now - 2000,
        text: "e",
      },
    ];
    gateway.store.setAlarms(alarms, {
      critical: 1,
      warning: 2,
      info: 1,
      unacknowledged: 3,
      byString: { "1": 1, "2": 2 },
    });
    gateway.store.commit();
    snap = gateway.model.current();
    client = new modbusSerial.default();
    await client.connectTCP("127.0.0.1", { port: modbusPort(gateway) });
    client.setTimeout(2000);
  });
  after(async () => {
    client?.close(() => {});
    await gateway?.close();
  });

  async function readImage(unit: number, length: number, fc: 3 | 4): Promise<number[]> {
    client.setID(unit);
    const words: number[] = [];
    for (let at = 0; at < length; at += 125) {
      const count = Math.min(125, length - at);
      const r = fc === 3 ? await client.readHoldingRegisters(at, count) : await client.readInputRegisters(at, count);
      words.push(...r.data);
    }
    return words;
  }

  for (const unit of [1, 2, 255]) {
    it(`serves every entry of the map on unit ${unit} as the model holds it, identically on FC03 and FC04`, async () => {
      const string = unit === 255 ? null : (gateway.topology.strings.find((s) => s.id === unit) as StringInfo);
      const length = string ? RECORD_BASE + STRIDE * string.blockCount : RECORD_BASE;
      const input = await readImage(unit, length, 4);
      const holding = await readImage(unit, length, 3);
      assert.deepEqual(holding, input, "FC03 and FC04 carry the same data");
      assert.equal(gateway.model.current(), snap, "the model stayed frozen while reading");
      let checked = 0;
      for (const entry of MAP.entries) {
        const blocks = entry.area === "block" ? (string?.blockCount ?? 0) : 1;
        const lists = entry.name.startsWith("alarmList[i]") ? 24 : 1;
        for (let n = 1; n <= blocks; n++)
          for (let i = 0; i < lists; i++) {
            const at = entry.area === "block" ? RECORD_BASE + STRIDE * (n - 1) + entry.address : entry.address + 8 * i;
            const where = `${entry.name} at ${at} (unit ${unit}${entry.area === "block" ? `, block ${n}` : ""})`;
            if (entry.type === "ascii") {
              const text = entry.name === "site.name" ? snap.topology.site.name : snap.topology.site.location;
              assert.equal(ascii(input, at, entry.words), text ?? "", where);
            } else if (entry.point) {
              const point = pointById(entry.point);
              if (point?.scope === "string" && !string) {
                assert.equal(decode(input, at, entry.type), SENTINEL[entry.type as keyof typeof SENTINEL], where);
              } else {
                const row =
                  point?.scope === "block"
                    ? (string as StringInfo).firstBlockRow + n - 1
                    : point?.scope === "string"
                      ? (string as StringInfo).index
                      : 0;
                assert.equal(decode(input, at, entry.type), expectedPoint(snap, entry.point, row, entry), where);
              }
            } else if (entry.setting) {
              const s = gateway.services.settings?.list().find((x) => x.name === entry.setting);
              assert.ok(s, `${where}: setting in force`);
              assert.equal(decode(input, at, entry.type), Math.round(s.value * entry.scale), where);
            } else {
              if (i >= snap.alarms.length && entry.name.startsWith("alarmList[i]")) continue;
              assert.equal(decode(input, at, entry.type), expectedFixed(entry.name, snap, string, i, n), where);
            }
            checked++;
          }
      }
      assert.ok(checked > (string ? 100 : 50), `checked ${checked} values`);
    });
  }

  it("shows a value whose quality is not good as the not-available sentinel and names the quality", async () => {
    client.setID(2);
    const record = RECORD_BASE + STRIDE * 2; // block 3 of string 2: voltage comm-lost
    const r = await client.readInputRegisters(record, 4);
    assert.equal(r.data[2], 0xffff);
    assert.equal((r.data[0] ?? 0) & 3, Q_COMM_LOST);
  });

  it("answers a read that runs past the last block record with exception 02", async () => {
    client.setID(1);
    await assert.rejects(client.readInputRegisters(RECORD_BASE + STRIDE * 8 - 1, 2), /Illegal data address/i);
    await assert.rejects(client.readHoldingRegisters(RECORD_BASE, 126), /Illegal data value/i);
  });

  it("answers an unknown unit id with exception 0x0B", async () => {
    client.setID(9);
    await assert.rejects(client.readInputRegisters(0, 1), /Gateway target|0x0B|11/i);
  });

  it("reads alarm bits as discrete inputs at record base plus bit", async () => {
    client.setID(1);
    const r = await client.readDiscreteInputs(RECORD_BASE + STRIDE * 2, 16); // block 3 of string 1
    assert.equal(r.data[8], true, "bit 8 block-resistance-high");
    assert.equal(r.data.filter(Boolean).length, 1);
    client.setID(255);
    const system = await client.readDiscreteInputs(0, 16);
    assert.equal(system.data[1], true, "bit 1 environment-sensor-comm-lost");
  });
});
