import assert from "node:assert/strict";
import { createSocket, type Socket } from "node:dgram";
import { after, before, describe, it } from "node:test";
import { encodeInteger, encodeOctetString, encodeOid, NULL_VALUE, TAG, tlv } from "../../src/protocols/snmp/ber.js";
import { allDevicesOk, smallPlantYaml, startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { exchange, snmpPort, snmpSection, tool } from "./helpers.js";

const SYS_DESCR = [1, 3, 6, 1, 2, 1, 1, 1, 0];
const BLOCK_TABLE = [1, 3, 6, 1, 4, 1, 32473, 1, 4];

function request(
  version: number,
  pduTag: number,
  field1: number,
  field2: number,
  oids: number[][],
  community = "test-public",
) {
  return tlv(
    TAG.sequence,
    encodeInteger(version),
    encodeOctetString(community),
    tlv(
      pduTag,
      encodeInteger(4242),
      encodeInteger(field1),
      encodeInteger(field2),
      tlv(TAG.sequence, ...oids.map((o) => tlv(TAG.sequence, encodeOid(o), NULL_VALUE))),
    ),
  );
}

/** A v3 discovery probe (empty engine id and user, reportable). */
function discovery(): Buffer {
  return tlv(
    TAG.sequence,
    encodeInteger(3),
    tlv(TAG.sequence, encodeInteger(77), encodeInteger(65507), encodeOctetString(Buffer.from([4])), encodeInteger(3)),
    encodeOctetString(
      tlv(
        TAG.sequence,
        encodeOctetString(""),
        encodeInteger(0),
        encodeInteger(0),
        encodeOctetString(""),
        encodeOctetString(""),
        encodeOctetString(""),
      ),
    ),
    tlv(
      TAG.sequence,
      encodeOctetString(""),
      encodeOctetString(""),
      tlv(TAG.getRequest, encodeInteger(5), encodeInteger(0), encodeInteger(0), tlv(TAG.sequence)),
    ),
  );
}

/** Deterministic pseudo-random numbers, so a failure can be replayed. */
function prng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function mutate(packet: Buffer, random: () => number): Buffer {
  const p = Buffer.from(packet);
  const pick = () => Math.floor(random() * p.length);
  switch (Math.floor(random() * 6)) {
    case 0: // flip bytes
      for (let i = 0; i < 1 + random() * 4; i++) p[pick()] = Math.floor(random() * 256);
      return p;
    case 1: // truncate
      return p.subarray(0, pick());
    case 2: // bogus long-form length
      p[Math.min(1 + Math.floor(random() * 3), p.length - 1)] = 0x84;
      return p;
    case 3: // extend with garbage
      return Buffer.concat([
        p,
        Buffer.from(Array.from({ length: 1 + Math.floor(random() * 40) }, () => Math.floor(random() * 256))),
      ]);
    case 4: // huge length on a random TLV
      p[pick()] = 0xff;
      return p;
    default: // random bytes of a random size
      return Buffer.from(Array.from({ length: Math.floor(random() * 200) }, () => Math.floor(random() * 256)));
  }
}

describe("SNMP agent under garbage", () => {
  let gateway: TestGateway;
  let port: number;
  let socket: Socket;

  before(async () => {
    gateway = await startTestGateway(smallPlantYaml({ extra: snmpSection() }));
    await allDevicesOk(gateway);
    port = snmpPort(gateway.listeners());
    socket = createSocket("udp4");
    await new Promise<void>((done) => socket.bind(0, "127.0.0.1", () => done()));
  });

  after(async () => {
    socket?.close();
    await gateway?.close();
  });

  it("answers GETBULK with negative and huge non-repeaters and max-repetitions", async () => {
    const cases: [number, number][] = [
      [-1, 10],
      [10, -1],
      [-2147483648, -2147483648],
      [2147483647, 2147483647],
      [0, 2147483647],
      [1, 4294967295],
    ];
    for (const [nonRepeaters, maxRepetitions] of cases) {
      const reply = await exchange(
        socket,
        port,
        request(1, TAG.getBulkRequest, nonRepeaters, maxRepetitions, [SYS_DESCR, BLOCK_TABLE]),
      );
      assert.ok(reply, `reply to GETBULK ${nonRepeaters}/${maxRepetitions}`);
      assert.ok(reply.length < 65508);
    }
  });

  it("stays up and keeps answering after thousands of mutated packets", async () => {
    const seeds = [
      request(0, TAG.getRequest, 0, 0, [SYS_DESCR]),
      request(1, TAG.getNextRequest, 0, 0, [BLOCK_TABLE]),
      request(1, TAG.getBulkRequest, 1, 20, [SYS_DESCR, BLOCK_TABLE]),
      request(1, TAG.setRequest, 0, 0, [SYS_DESCR]),
      discovery(),
    ];
    const wrongVersions = [2, 4, -1, 1000, 2147483647].map((v) => request(v, TAG.getRequest, 0, 0, [SYS_DESCR]));
    const random = prng(20250101);
    let sent = 0;
    for (let round = 0; round < 60; round++) {
      const batch: Buffer[] = [...wrongVersions];
      for (let i = 0; i < 50; i++) batch.push(mutate(seeds[i % seeds.length] as Buffer, random));
      for (const packet of batch) if (packet.length > 0) socket.send(packet, port, "127.0.0.1");
      sent += batch.length;
      // Let the agent drain its socket between batches; a real flood is the bench's business.
      await new Promise((r) => setTimeout(r, 5));
    }
    assert.ok(sent >= 3000, `${sent} packets sent`);
    const reply = await exchange(socket, port, request(1, TAG.getRequest, 0, 0, [SYS_DESCR]));
    assert.ok(reply, "agent answers after the garbage");
    const r = await tool("snmpget", [
      "-v2c",
      "-c",
      "test-public",
      `127.0.0.1:${port}`,
      "sysName.0",
      ".1.3.6.1.2.1.11.3.0",
      ".1.3.6.1.2.1.11.6.0",
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /sysName\.0 = STRING: Test plant/);
    const badVersions = Number(/snmpInBadVersions\.0 = Counter32: (\d+)/.exec(r.stdout)?.[1]);
    const parseErrors = Number(/snmpInASNParseErrs\.0 = Counter32: (\d+)/.exec(r.stdout)?.[1]);
    assert.ok(badVersions >= 60 * wrongVersions.length - 50, `snmpInBadVersions ${badVersions}`);
    assert.ok(parseErrors > 100, `snmpInASNParseErrs ${parseErrors}`);
  });

  it("answers a v3 discovery probe with its engine id in a report", async () => {
    const reply = await exchange(socket, port, discovery());
    assert.ok(reply, "report received");
    assert.ok(reply.includes(Buffer.from([TAG.report])), "contains a Report PDU");
  });
});
