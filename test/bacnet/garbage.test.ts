import assert from "node:assert/strict";
import { createSocket, type Socket } from "node:dgram";
import { after, before, describe, it } from "node:test";
import { smallPlantYaml, startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { bacnetYaml, CLIENT_HOST, DEVICE_HOST, freeSharedPort, TestClient } from "./helpers.js";

/** BVLL + NPDU (no routing) around an APDU. */
function bip(apdu: number[], expectingReply = true): Buffer {
  const body = [0x01, expectingReply ? 0x04 : 0x00, ...apdu];
  return Buffer.from([0x81, 0x0a, 0, body.length + 4, ...body]);
}

/** ReadProperty of device 4711's Object_Name with invoke id `invoke`. */
const readName = (invoke: number) => bip([0x00, 0x05, invoke, 0x0c, 0x0c, 0x02, 0x00, 0x12, 0x67, 0x19, 0x4d]);

describe("BACnet device fed with garbage", () => {
  let gateway: TestGateway;
  let port: number;
  let socket: Socket;
  const replies: Buffer[] = [];
  let wake: (() => void) | undefined;

  before(async () => {
    port = await freeSharedPort();
    gateway = await startTestGateway(smallPlantYaml({ strings: 1, blocks: 4, extra: bacnetYaml(port) }));
    socket = createSocket("udp4");
    socket.on("message", (msg) => {
      replies.push(msg);
      wake?.();
    });
    await new Promise<void>((resolve) => socket.bind(0, CLIENT_HOST, () => resolve()));
  });
  after(async () => {
    socket?.close();
    await gateway?.close();
  });

  /** Sends and waits for the reply to a follow-up probe, so the reply to `datagram` (if any) arrived before it. */
  async function exchange(datagram: Buffer): Promise<Buffer[]> {
    replies.length = 0;
    socket.send(datagram, port, DEVICE_HOST);
    socket.send(readName(99), port, DEVICE_HOST);
    while (!replies.some((r) => r[6] === 0x30 && r[7] === 99)) await new Promise<void>((resolve) => (wake = resolve));
    return replies.filter((r) => !(r[6] === 0x30 && r[7] === 99));
  }

  it("drops datagrams with a malformed BVLL or NPDU and keeps answering", async () => {
    const cases = [
      Buffer.from([0x82, 0x0a, 0x00, 0x08, 0x01, 0x04, 0x00, 0x05]), // not BACnet/IP
      Buffer.from([0x81, 0x0a, 0x00, 0x30, 0x01, 0x04, 0x00, 0x05]), // length lies
      Buffer.from([0x81, 0x0a]), // truncated BVLL
      Buffer.from([0x81, 0x0a, 0x00, 0x06, 0x02, 0x04]), // NPDU version 2
      Buffer.from([0x81, 0x0a, 0x00, 0x07, 0x01, 0x20, 0x00]), // truncated destination
      Buffer.from([0x81, 0x0a, 0x00, 0x06, 0x01, 0x04]), // NPDU without APDU
      Buffer.from([0x81, 0x0a, 0x00, 0x07, 0x01, 0x80, 0x01]), // network layer message
    ];
    for (const datagram of cases) assert.deepEqual(await exchange(datagram), [], datagram.toString("hex"));
  });

  it("rejects a truncated or malformed APDU with the invoke id it carried", async () => {
    const truncated = await exchange(bip([0x00, 0x05, 0x21, 0x0c, 0x0c, 0x02]));
    assert.equal(truncated.length, 1);
    assert.equal(truncated[0]?.[6], 0x60, "Reject PDU");
    assert.equal(truncated[0]?.[7], 0x21, "invoke id");
    const badTag = await exchange(bip([0x00, 0x05, 0x22, 0x0e, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]));
    assert.equal(badTag[0]?.[6], 0x60);
    assert.equal(badTag[0]?.[7], 0x22);
  });

  it("rejects an unknown confirmed service and aborts a segmented request", async () => {
    const unknown = await exchange(bip([0x00, 0x05, 0x23, 0x1a, 0x00]));
    assert.deepEqual([...(unknown[0] ?? [])].slice(6), [0x60, 0x23, 9], "Reject unrecognized-service");
    const segmented = await exchange(bip([0x08, 0x05, 0x24, 0x00, 0x01, 0x0c, 0x0c]));
    assert.deepEqual([...(segmented[0] ?? [])].slice(6), [0x71, 0x24, 4], "Abort segmentation-not-supported");
  });

  it("aborts an oversized request and answers BBMD functions with a BVLC-Result NAK", async () => {
    const huge = Buffer.alloc(9000, 0x0c);
    huge.set([0x81, 0x0a, 0x23, 0x28, 0x01, 0x04, 0x00, 0x05, 0x25, 0x0c]);
    assert.deepEqual([...((await exchange(huge))[0] ?? [])].slice(6), [0x71, 0x25, 11], "Abort apdu-too-long");
    const readBdt = await exchange(Buffer.from([0x81, 0x02, 0x00, 0x04]));
    assert.deepEqual([...(readBdt[0] ?? [])], [0x81, 0x00, 0x00, 0x06, 0x00, 0x20]);
  });

  it("still serves an independent client after all of that", async () => {
    const client = new TestClient(port);
    try {
      assert.equal(await client.value(8, 4711, 77), "Test plant");
    } finally {
      client.close();
    }
    const health = gateway.health().find((h) => h.component === "bacnet");
    assert.equal(health?.state, "ok");
    assert.ok((health?.counters.dropped ?? 0) >= 7, JSON.stringify(health?.counters));
  });
});

describe("BACnet writes when enabled", () => {
  let gateway: TestGateway;
  let client: TestClient;
  before(async () => {
    const port = await freeSharedPort();
    gateway = await startTestGateway(
      smallPlantYaml({
        strings: 1,
        blocks: 2,
        extra: bacnetYaml(port, `, writes: { enabled: true, allow: [${CLIENT_HOST}/32], role: admin }`),
      }),
    );
    client = new TestClient(port);
  });
  after(async () => {
    client?.close();
    await gateway?.close();
  });

  it("runs an allowed write of a relay output as an audited output command, and refuses read-only objects", async () => {
    const events: string[] = [];
    const dispose = gateway.bus.on("event", (e) => events.push(`${e.name}:${e.user ?? ""}`));
    try {
      // The simulator's relay module takes the command; the BACnet write answers with a SimpleAck.
      await client.write(5, 110, 85, [{ type: 9, value: 0 }]);
      assert.ok(
        events.some((e) => e === `remote-write:bacnet:${CLIENT_HOST}`),
        events.join(", "),
      );
      await assert.rejects(client.write(0, 10_011, 85, [{ type: 4, value: 1 }]), /BacnetError - Class:2 - Code:40/);
      await assert.rejects(client.write(5, 110, 85, [{ type: 4, value: 1 }]), /BacnetError - Class:2 - Code:9/);
    } finally {
      dispose();
    }
  });
});
