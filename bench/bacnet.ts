/**
 * ReadPropertyMultiple throughput and COV notification cost of the BACnet device at 480 and 10,000 blocks.
 * Run: npx tsx bench/bacnet.ts
 *
 * ReadPropertyMultiple, two figures per plant size: in-process (decode + snapshot read + encode, no socket) and over
 * UDP on loopback (one request in flight, as a BMS workstation polls). Each request reads Present_Value and
 * Status_Flags of 20 block analog inputs (40 properties), walking through every block of the plant.
 *
 * COV, in-process: up to 4,700 SubscribeCOV requests (block voltages, as the whole-plant bench's 50 subscribers
 * make), then commits that change every block's voltage and temperature (20,160 changes at 10,080 blocks) and time
 * `onSnapshot`, which finds the subscribed objects among the changes and encodes one notification per subscription.
 */
import { createSocket } from "node:dgram";
import { PropertyIdentifier } from "@bacnet-js/client/dist/lib/enum.js";
import { ReadPropertyMultiple, SubscribeCov } from "@bacnet-js/client/dist/lib/services/index.js";
import { gatewayConfigSchema } from "../src/app/config-schema.js";
import { parseConfig } from "../src/core/config/load.js";
import { ModelStore, Q_GOOD } from "../src/core/model.js";
import { buildTopology } from "../src/core/topology.js";
import { frame } from "../src/protocols/bacnet/codec.js";
import { bacnetConfigSchema } from "../src/protocols/bacnet/config-schema.js";
import { DeviceModel } from "../src/protocols/bacnet/device-model.js";
import { BacnetServer } from "../src/protocols/bacnet/server.js";

const OBJECTS_PER_REQUEST = 20;
const COV_SUBSCRIPTIONS = 4_700;
const COV_COMMITS = 20;
const ARRAY_ALL = 0xffffffff;

function plantYaml(strings: number, blocks: number): string {
  const lines = ["site: { name: Bench }", "buses:"];
  for (let i = 1; i <= strings; i++) lines.push(`  - { id: b${i}, transport: { type: rtu-tcp, host: 127.0.0.1 } }`);
  lines.push("strings:");
  for (let i = 1; i <= strings; i++)
    lines.push(`  - { id: ${i}, bus: b${i}, blocks: ${blocks}, probes: { profile: string-master, address: 1 } }`);
  return lines.join("\n");
}

function requests(model: DeviceModel): Buffer[] {
  const inputs = [...model.objects()].filter((o) => o.type === 0 && o.point?.scope === "block");
  const out: Buffer[] = [];
  for (let i = 0; i < inputs.length; i += OBJECTS_PER_REQUEST) {
    const specs = inputs.slice(i, i + OBJECTS_PER_REQUEST).map((o) => ({
      objectId: { type: o.type, instance: o.instance },
      properties: [
        { id: PropertyIdentifier.PRESENT_VALUE, index: ARRAY_ALL },
        { id: PropertyIdentifier.STATUS_FLAGS, index: ARRAY_ALL },
      ],
    }));
    const buf = { buffer: Buffer.alloc(1500), offset: 0 };
    ReadPropertyMultiple.encode(buf, specs);
    const apdu = Buffer.concat([Buffer.from([0x00, 0x05, out.length & 0xff, 14]), buf.buffer.subarray(0, buf.offset)]);
    out.push(frame(apdu, { expectingReply: true }));
  }
  return out;
}

async function bench(strings: number, blocks: number): Promise<void> {
  const parsed = parseConfig(gatewayConfigSchema, plantYaml(strings, blocks));
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  const topology = buildTopology(parsed.config);
  const store = new ModelStore(topology);
  for (let row = 0; row < topology.blockCount; row++) {
    store.write("block.voltage", row, 13.5 + row * 1e-6, Q_GOOD, Date.now());
    store.write("block.temperature", row, 24, Q_GOOD, Date.now());
  }
  store.commit();
  const config = bacnetConfigSchema.parse({ blockObjects: true, cov: { maxSubscriptions: COV_SUBSCRIPTIONS } });
  const model = new DeviceModel(topology, config, {
    vendorName: "b",
    modelName: "b",
    firmwareRevision: "1",
    applicationSoftwareVersion: "1",
  });
  let replies = 0;
  let lastReply: Buffer | undefined;
  let send = (d: Buffer, _to: { address: string; port: number }) => {
    replies++;
    lastReply = d;
  };
  const io = {
    send: (d: Buffer, to: { address: string; port: number }) => send(d, to),
    snapshot: () => store.snapshot(),
    writeOutput: async () => "E_FORBIDDEN",
    count: () => {},
    debug: () => {},
    now: () => Date.now(),
  };
  const server = new BacnetServer(model, io, {
    writes: { enabled: false, allow: [] },
    cov: { defaultLifetimeMs: 0, maxSubscriptions: COV_SUBSCRIPTIONS },
  });
  const reqs = requests(model);
  const peer = { address: "127.0.0.9", port: 47808 };
  // in-process
  const rounds = Math.max(1, Math.ceil(20_000 / reqs.length));
  let t0 = performance.now();
  for (let r = 0; r < rounds; r++) for (const q of reqs) await server.receive(q, peer);
  let seconds = (performance.now() - t0) / 1000;
  if (replies !== rounds * reqs.length || lastReply?.[6] !== 0x30)
    throw new Error("bench: a request was not answered with a ComplexACK");
  const inProcess = (rounds * reqs.length * OBJECTS_PER_REQUEST * 2) / seconds;
  // over UDP loopback, one request in flight
  const device = createSocket("udp4");
  const client = createSocket("udp4");
  device.on("message", (msg, rinfo) => void server.receive(msg, { address: rinfo.address, port: rinfo.port }));
  send = (d, to) => device.send(d, to.port, to.address);
  await new Promise<void>((r) => device.bind(0, "127.0.0.2", () => r()));
  await new Promise<void>((r) => client.bind(0, "127.0.0.3", () => r()));
  const port = device.address().port;
  let pending: (() => void) | undefined;
  client.on("message", () => pending?.());
  const udpRequests = Math.min(reqs.length * 2, 5000);
  t0 = performance.now();
  for (let i = 0; i < udpRequests; i++) {
    const q = reqs[i % reqs.length] as Buffer;
    await new Promise<void>((resolve) => {
      pending = resolve;
      client.send(q, port, "127.0.0.2");
    });
  }
  seconds = (performance.now() - t0) / 1000;
  const overUdp = (udpRequests * OBJECTS_PER_REQUEST * 2) / seconds;
  device.close();
  client.close();
  // COV, in-process: subscribe block voltages, then commit changes of every block and time onSnapshot.
  send = () => {
    replies++;
  };
  const subscriptions = Math.min(COV_SUBSCRIPTIONS, topology.blockCount);
  let subscribed = 0;
  for (const s of topology.strings)
    for (let b = 1; b <= s.blockCount && subscribed < subscriptions; b++, subscribed++) {
      const buf = { buffer: Buffer.alloc(64), offset: 0 };
      SubscribeCov.encode(buf, subscribed + 1, { type: 0, instance: s.id * 10_000 + b * 10 + 1 }, false, false, 0);
      const apdu = Buffer.concat([Buffer.from([0x00, 0x05, subscribed & 0xff, 5]), buf.buffer.subarray(0, buf.offset)]);
      await server.receive(frame(apdu, { expectingReply: true }), peer);
    }
  await new Promise((r) => setImmediate(r));
  if (server.subscriptionCount !== subscriptions) throw new Error(`bench: ${server.subscriptionCount} subscriptions`);
  replies = 0;
  let covSeconds = 0;
  let changes = 0;
  for (let c = 1; c <= COV_COMMITS; c++) {
    for (let row = 0; row < topology.blockCount; row++) {
      store.write("block.voltage", row, 13.5 + (c % 2) * 0.02 + row * 1e-6, Q_GOOD, Date.now());
      store.write("block.temperature", row, 24 + (c % 2), Q_GOOD, Date.now());
    }
    const committed = store.commit();
    if (!committed) throw new Error("bench: nothing committed");
    changes = committed.delta.changes.length;
    const t = performance.now();
    server.onSnapshot(committed.snapshot, committed.delta);
    covSeconds += (performance.now() - t) / 1000;
  }
  if (replies !== subscriptions * COV_COMMITS) throw new Error(`bench: ${replies} COV notifications`);
  console.log(
    `${String(topology.blockCount).padStart(6)} blocks, ${String(model.objectCount).padStart(6)} objects: ` +
      `in-process ${Math.round(inProcess).toLocaleString("en")} properties/s, ` +
      `UDP loopback ${Math.round(overUdp).toLocaleString("en")} properties/s (${Math.round(udpRequests / seconds)} requests/s); ` +
      `COV ${subscriptions} subscriptions, ${changes} changes per commit: ${((covSeconds / COV_COMMITS) * 1000).toFixed(1)} ms ` +
      `per commit, ${Math.round(replies / covSeconds).toLocaleString("en")} notifications/s`,
  );
}

await bench(4, 120);
await bench(84, 120);
