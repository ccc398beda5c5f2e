import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { allDevicesOk, startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { modbusPort, modbusYaml, testAuth } from "./helpers.js";
import { RawModbusClient, readPdu } from "./raw-client.js";

/** Deterministic PRNG (mulberry32) so a failure reproduces. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const IMAGE_LENGTH: Record<number, number> = { 1: 1000 + 16 * 8, 2: 1000 + 16 * 8, 255: 1000, 0: 1000 };

/**
 * What the Modbus spec says the reply to this PDU must be, for a server with writes disabled. Returns the exception
 * code, or 0 for a normal reply. Written from the spec's validation order (function, quantity, address, execution).
 */
function expectedException(unit: number, pdu: Buffer): number {
  const length = IMAGE_LENGTH[unit];
  if (length === undefined) return 0x0b;
  const fc = pdu[0] ?? 0;
  const u16 = (o: number) => (o + 2 <= pdu.length ? pdu.readUInt16BE(o) : -1);
  const address = u16(1);
  const count = u16(3);
  switch (fc) {
    case 1:
    case 2:
    case 3:
    case 4: {
      if (pdu.length !== 5) return 3;
      if (count < 1 || count > (fc <= 2 ? 2000 : 125)) return 3;
      return address + count > length ? 2 : 0;
    }
    case 5:
      if (pdu.length !== 5) return 3;
      return count !== 0xff00 && count !== 0 ? 3 : 1;
    case 6:
      return pdu.length !== 5 ? 3 : 1;
    case 15:
    case 16: {
      const bytes = pdu[5] ?? -1;
      const max = fc === 15 ? 1968 : 123;
      const needBytes = fc === 15 ? Math.ceil(count / 8) : 2 * count;
      if (count < 1 || count > max || bytes !== needBytes || pdu.length !== 6 + bytes) return 3;
      return address + count > 0x10000 ? 2 : 1;
    }
    case 8:
      // Diagnostics: only sub-function 0 (return query data) is offered.
      if (pdu.length < 3) return 3;
      return address === 0 ? 0 : 1;
    case 23: {
      if (pdu.length < 10) return 3;
      const writeAddress = u16(5);
      const writeCount = u16(7);
      if (count < 1 || count > 125 || writeCount < 1 || writeCount > 121) return 3;
      if (pdu[9] !== 2 * writeCount || pdu.length !== 10 + 2 * writeCount) return 3;
      if (address + count > 0x10000 || writeAddress + writeCount > 0x10000) return 2;
      return address + count > length ? 2 : 1;
    }
    case 43: {
      if (pdu.length < 2) return 3;
      if (pdu[1] !== 14) return 1;
      if (pdu.length !== 4) return 3;
      const code = pdu[2] ?? 0;
      if (code < 1 || code > 4) return 3;
      return code === 4 && ![0, 1, 2, 4, 5, 6].includes(pdu[3] ?? -1) ? 2 : 0;
    }
    default:
      return 1;
  }
}

function checkReply(unit: number, request: Buffer, reply: Buffer): void {
  const fc = request[0] ?? 0;
  const code = expectedException(unit, request);
  const what = `request ${request.toString("hex")} to unit ${unit}`;
  if (code !== 0) {
    assert.deepEqual([...reply], [(fc | 0x80) & 0xff, code], `${what}: exception ${code}`);
    return;
  }
  assert.equal(reply[0], fc, `${what}: normal reply`);
  if (fc === 8) {
    assert.deepEqual(reply, request, `${what}: echo`);
    return;
  }
  if (fc === 43) {
    assert.deepEqual([...reply.subarray(0, 4)], [43, 14, request[2], 0x82], `${what}: device identification`);
    return;
  }
  const count = request.readUInt16BE(3);
  assert.equal(reply[1], fc <= 2 ? Math.ceil(count / 8) : 2 * count, `${what}: byte count`);
  assert.equal(reply.length, 2 + (reply[1] ?? 0), `${what}: reply length`);
}

describe("Modbus TCP server under garbage", () => {
  let gateway: TestGateway;
  let port: number;

  before(async () => {
    gateway = await startTestGateway(modbusYaml(", idleTimeout: 400ms, maxConnections: 20"), {
      services: [],
      auth: testAuth,
      controlSocket: false,
    });
    await allDevicesOk(gateway);
    port = modbusPort(gateway);
  });
  after(async () => {
    await gateway?.close();
  });

  /** Another client, connected afresh, is served correctly. */
  async function witnessStillServed(): Promise<void> {
    const witness = await RawModbusClient.open(port);
    const reply = await witness.readInput(1, 0, 2);
    witness.close();
    assert.deepEqual([...reply.subarray(0, 4)], [4, 4, 0, 1], "map version read by another client");
  }

  it("answers thousands of random well-framed PDUs with the exception the spec demands, in order", async () => {
    const random = prng(1234);
    const client = await RawModbusClient.open(port);
    const units = [1, 2, 255, 0, 7, 200];
    for (let round = 0; round < 30; round++) {
      const pending: Promise<void>[] = [];
      for (let k = 0; k < 100; k++) {
        const unit = units[Math.floor(random() * units.length)] as number;
        let pdu: Buffer;
        const kind = random();
        if (kind < 0.4) {
          // A read with random address/quantity (huge quantities, zero, past the end).
          const fc = 1 + Math.floor(random() * 4);
          pdu = readPdu(fc, Math.floor(random() * 1400), Math.floor(random() * (random() < 0.5 ? 140 : 65536)));
        } else {
          const length = 1 + Math.floor(random() * 40);
          pdu = Buffer.from(Array.from({ length }, () => Math.floor(random() * 256)));
          if (random() < 0.5)
            pdu[0] = [1, 2, 3, 4, 5, 6, 15, 16, 8, 43, 23, 0, 0x83][Math.floor(random() * 13)] as number;
          if (pdu[0] === 43 && random() < 0.5) pdu[1] = 14; // reach past the MEI type check
          if (pdu[0] === 8 && random() < 0.5 && pdu.length >= 3) pdu.writeUInt16BE(0, 1);
        }
        pending.push(client.request(unit, pdu).then((reply) => checkReply(unit, pdu, reply)));
      }
      await Promise.all(pending);
      await witnessStillServed();
    }
    assert.equal(client.closed, false);
    client.close();
  });

  it("closes a connection whose MBAP header lies (length out of range, wrong protocol id) and serves the others", async () => {
    const random = prng(99);
    for (let k = 0; k < 200; k++) {
      const client = await RawModbusClient.open(port);
      const header = Buffer.alloc(7);
      header.writeUInt16BE(k, 0);
      const lie = random();
      if (lie < 0.33) header.writeUInt16BE(255 + Math.floor(random() * 65000), 4);
      else if (lie < 0.66) header.writeUInt16BE(Math.floor(random() * 2), 4);
      else {
        header.writeUInt16BE(1 + Math.floor(random() * 65535), 2);
        header.writeUInt16BE(6, 4);
      }
      client.writeRaw(Buffer.concat([header, readPdu(4, 0, 1)]));
      assert.equal(await client.waitClosed(), true, `header ${header.toString("hex")} closes the connection`);
      assert.equal(client.received.length, 0, "no reply to a frame that broke the framing");
    }
    await witnessStillServed();
  });

  it("drops truncated or stalled frames by the idle timeout without blocking other clients", async () => {
    const stalled: RawModbusClient[] = [];
    for (const bytes of [[0], [0, 1, 0], [0, 1, 0, 0, 0], [0, 1, 0, 0, 0, 100, 1, 4, 0, 0]]) {
      const client = await RawModbusClient.open(port);
      client.writeRaw(Buffer.from(bytes));
      stalled.push(client);
    }
    await witnessStillServed();
    for (const client of stalled) assert.equal(await client.waitClosed(5000), true, "closed by the idle timeout");
  });

  it("survives thousands of mutated frames: every reply well-formed, or the connection closed", async () => {
    const random = prng(7);
    let client = await RawModbusClient.open(port);
    let reconnects = 0;
    for (let k = 0; k < 3000; k++) {
      if (client.closed) {
        reconnects++;
        client = await RawModbusClient.open(port);
      }
      const frame = Buffer.from([0, k & 0xff, 0, 0, 0, 6, 1, 4, 0, 0, 0, 10]);
      const flips = 1 + Math.floor(random() * 3);
      for (let f = 0; f < flips; f++) frame[Math.floor(random() * frame.length)] = Math.floor(random() * 256);
      const cut = random() < 0.1 ? Math.floor(random() * frame.length) : frame.length;
      client.writeRaw(frame.subarray(0, cut));
      if (k % 100 === 99) await new Promise((r) => setTimeout(r, 5));
    }
    await new Promise((r) => setTimeout(r, 200));
    for (const reply of client.received) {
      const pdu = reply.subarray(7);
      const fc = pdu[0] ?? 0;
      if (fc & 0x80) assert.ok([1, 2, 3, 4, 0x0b].includes(pdu[1] ?? -1), `exception reply ${reply.toString("hex")}`);
      else
        assert.ok(
          [1, 2, 3, 4, 8, 43].includes(fc),
          `normal reply to a read, echo or identification ${reply.toString("hex")}`,
        );
    }
    client.close();
    assert.ok(reconnects >= 0);
    await witnessStillServed();
  });

  it("refuses connections beyond maxConnections and keeps serving the admitted ones", async () => {
    await new Promise((r) => setTimeout(r, 600)); // let the idle timeout reap earlier connections
    const clients: RawModbusClient[] = [];
    for (let k = 0; k < 25; k++) clients.push(await RawModbusClient.open(port));
    const outcomes = await Promise.all(
      clients.map((c) =>
        c.readInput(1, 0, 1).then(
          () => "served",
          () => "closed",
        ),
      ),
    );
    assert.ok(outcomes.filter((o) => o === "served").length <= 20, "at most maxConnections are served");
    assert.ok(outcomes.filter((o) => o === "closed").length >= 5, "connections over the limit are closed");
    for (const c of clients) c.close();
    await new Promise((r) => setTimeout(r, 50));
    await witnessStillServed();
  });
});
