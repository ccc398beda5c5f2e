import assert from "node:assert/strict";
import { createSocket, type Socket } from "node:dgram";
import { after, before, describe, it } from "node:test";
import {
  compareOid,
  encodeInteger,
  encodeOctetString,
  encodeOid,
  expect,
  NULL_VALUE,
  readOid,
  readTlv,
  TAG,
  tlv,
} from "../../src/protocols/snmp/ber.js";
import { allDevicesOk, smallPlantYaml, startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { exchange, snmpPort, snmpSection, tool } from "./helpers.js";

/** bmsAlarmTable: its rows follow the live alarms, so answers inside it may change between the walk and a probe. */
const ALARM_TABLE = [1, 3, 6, 1, 4, 1, 32473, 1, 5];
const PER_REQUEST = 200;

function request(pduTag: number, requestId: number, oids: readonly (readonly number[])[]): Buffer {
  return tlv(
    TAG.sequence,
    encodeInteger(1),
    encodeOctetString("test-public"),
    tlv(
      pduTag,
      encodeInteger(requestId),
      encodeInteger(0),
      encodeInteger(0),
      tlv(TAG.sequence, ...oids.map((o) => tlv(TAG.sequence, encodeOid(o), NULL_VALUE))),
    ),
  );
}

/** The (name, value tag) of every varbind of a v2c response. */
function varbinds(reply: Buffer): { oid: number[]; tag: number }[] {
  const msg = expect(reply, 0, reply.length, TAG.sequence);
  const version = expect(reply, msg.start, msg.end, TAG.integer);
  const community = expect(reply, version.end, msg.end, TAG.octetString);
  const pdu = expect(reply, community.end, msg.end, TAG.response);
  const id = expect(reply, pdu.start, pdu.end, TAG.integer);
  const status = expect(reply, id.end, pdu.end, TAG.integer);
  const index = expect(reply, status.end, pdu.end, TAG.integer);
  const list = expect(reply, index.end, pdu.end, TAG.sequence);
  const out: { oid: number[]; tag: number }[] = [];
  for (let at = list.start; at < list.end; ) {
    const vb = expect(reply, at, list.end, TAG.sequence);
    const name = expect(reply, vb.start, vb.end, TAG.oid);
    out.push({ oid: readOid(reply, name), tag: readTlv(reply, name.end, vb.end).tag });
    at = vb.end;
  }
  return out;
}

async function exchangeOrFail(socket: Socket, port: number, packet: Buffer): Promise<Buffer> {
  return (await exchange(socket, port, packet, 5000)) ?? assert.fail("no reply within 5 s");
}

const under = (oid: readonly number[], prefix: readonly number[]) =>
  oid.length >= prefix.length && prefix.every((x, i) => oid[i] === x);

describe("SNMP agent lookups over the whole MIB view", () => {
  let gateway: TestGateway;
  let port: number;
  let socket: Socket;
  /** Every served instance, from a full walk with Net-SNMP. */
  let walked: number[][] = [];

  before(async () => {
    // 130 blocks per string: block numbers above 127 take two bytes in an OID.
    gateway = await startTestGateway(smallPlantYaml({ strings: 3, blocks: 130, extra: snmpSection() }));
    await allDevicesOk(gateway);
    port = snmpPort(gateway.listeners());
    socket = createSocket("udp4");
    await new Promise<void>((done) => socket.bind(0, "127.0.0.1", () => done()));
    const walk = await tool("snmpbulkwalk", ["-v2c", "-c", "test-public", "-On", "-Oq", `127.0.0.1:${port}`, ".1"]);
    assert.equal(walk.code, 0, walk.stderr);
    walked = walk.stdout
      .split("\n")
      // The walk's last line repeats the last name with "No more variables left in this MIB View".
      .filter((line) => line && !line.includes("No more variables"))
      .map((line) => line.slice(1, line.indexOf(" ")).split(".").map(Number));
  });

  after(async () => {
    socket?.close();
    await gateway?.close();
  });

  /** The first walked instance after `probe` (binary search; the walk is in order, see the first test). */
  function firstAfter(probe: readonly number[]): number[] | undefined {
    let lo = 0;
    let hi = walked.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compareOid(walked[mid] as number[], probe) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return walked[lo];
  }

  /** Probes around every instance: itself, its parent, its neighbours, a child; plus OIDs outside every table. */
  function probes(): number[][] {
    const out: number[][] = [
      [0, 0],
      [1, 0],
      [1, 3],
      [1, 3, 6, 1, 4, 1, 32473, 1, 4, 1, 3, 2, 200],
      [1, 3, 6, 1, 9],
      [2, 1],
    ];
    for (const oid of walked) {
      const last = oid.at(-1) as number;
      out.push(oid, oid.slice(0, -1), [...oid.slice(0, -1), last + 1], [...oid, 0]);
      if (last > 0) out.push([...oid.slice(0, -1), last - 1]);
    }
    return out;
  }

  it("walks every table in strictly increasing OID order, the block table with 13 columns x 390 rows", () => {
    for (let i = 1; i < walked.length; i++)
      assert.ok(compareOid(walked[i - 1] as number[], walked[i] as number[]) < 0, `order at ${walked[i]?.join(".")}`);
    const blockCells = walked.filter((o) => under(o, [1, 3, 6, 1, 4, 1, 32473, 1, 4, 1]));
    assert.equal(blockCells.length, 13 * 390);
    assert.ok(blockCells.some((o) => o.at(-1) === 130));
  });

  it("answers GETNEXT from any OID with the first served instance after it", async () => {
    const all = probes();
    let checked = 0;
    for (let from = 0; from < all.length; from += PER_REQUEST) {
      const batch = all.slice(from, from + PER_REQUEST);
      const answers = varbinds(await exchangeOrFail(socket, port, request(TAG.getNextRequest, from + 1, batch)));
      assert.equal(answers.length, batch.length);
      batch.forEach((probe, i) => {
        const answer = answers[i] as { oid: number[]; tag: number };
        const expected = firstAfter(probe);
        if (under(probe, ALARM_TABLE) || (expected && under(expected, ALARM_TABLE))) return;
        if (!expected) {
          assert.equal(answer.tag, TAG.endOfMibView, `GETNEXT ${probe.join(".")}`);
          return;
        }
        assert.deepEqual(answer.oid, expected, `GETNEXT ${probe.join(".")}`);
        checked++;
      });
    }
    assert.ok(checked > 4 * walked.length, `${checked} answers checked`);
  });

  it("answers GET with a value exactly on served instances and an exception elsewhere", async () => {
    const served = new Set(walked.map((o) => o.join(".")));
    const all = probes().filter((o) => !under(o, ALARM_TABLE));
    for (let from = 0; from < all.length; from += PER_REQUEST) {
      const batch = all.slice(from, from + PER_REQUEST);
      const answers = varbinds(await exchangeOrFail(socket, port, request(TAG.getRequest, from + 1, batch)));
      batch.forEach((probe, i) => {
        const answer = answers[i] as { oid: number[]; tag: number };
        assert.deepEqual(answer.oid, probe);
        const exception = answer.tag === TAG.noSuchInstance || answer.tag === TAG.noSuchObject;
        assert.equal(!exception, served.has(probe.join(".")), `GET ${probe.join(".")} answered tag ${answer.tag}`);
      });
    }
  });
});
