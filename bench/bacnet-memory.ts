/**
 * Heap held by the BACnet device model (DeviceModel + BacnetServer) over a large plant. Run with
 * `node --expose-gc --import tsx bench/bacnet-memory.ts [strings] [blocks-per-string]` (default 84 × 120 = 10,080
 * blocks, block objects on).
 *
 * It builds the topology and one model snapshot, then measures heapUsed (after a full gc) and the number of heap
 * objects (from a heap snapshot) three times: before the device exists, after the DeviceModel and BacnetServer are
 * built (what the running adapter holds between requests), and after reading Object_Name and Present_Value of every
 * object once (what a BMS walking the whole device leaves behind). The deltas are what the device costs.
 */
import { rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeHeapSnapshot } from "node:v8";
import { PropertyIdentifier } from "@bacnet-js/client/dist/lib/enum.js";
import { gatewayConfigSchema } from "../src/app/config-schema.js";
import { ModelStore, Q_GOOD } from "../src/core/model.js";
import { POINTS, type PointId } from "../src/core/points.js";
import { buildTopology } from "../src/core/topology.js";
import { bacnetConfigSchema } from "../src/protocols/bacnet/config-schema.js";
import { ARRAY_ALL, DeviceModel } from "../src/protocols/bacnet/device-model.js";
import { BacnetServer } from "../src/protocols/bacnet/server.js";

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with node --expose-gc --import tsx bench/bacnet-memory.ts");

const strings = Number(process.argv[2] ?? 84);
const blocksPerString = Number(process.argv[3] ?? 120);
const config = gatewayConfigSchema.parse({
  buses: Array.from({ length: strings }, (_, i) => ({
    id: `b${i}`,
    transport: { type: "rtu-tcp", host: "127.0.0.1" },
  })),
  strings: Array.from({ length: strings }, (_, i) => ({
    id: i + 1,
    bus: `b${i}`,
    blocks: blocksPerString,
    probes: { profile: "string-master", address: 1 },
  })),
});
const topology = buildTopology(config);
const store = new ModelStore(topology);
const now = Date.now();
for (const p of POINTS) {
  const rows = p.scope === "system" ? 1 : p.scope === "string" ? topology.strings.length : topology.blockCount;
  for (let r = 0; r < rows; r++)
    store.write(p.id as PointId, r, p.range[0] + ((r % 97) / 97) * (p.range[1] - p.range[0]) * 0.5, Q_GOOD, now);
}
store.commit();
const snapshot = store.snapshot();

async function measure(): Promise<{ heap: number; objects: number }> {
  for (let i = 0; i < 4; i++) gc?.();
  const { heapUsed: heap } = process.memoryUsage();
  const file = writeHeapSnapshot(join(tmpdir(), `bmsgw-bacnet-memory-${process.pid}.heapsnapshot`));
  const parsed = JSON.parse(await readFile(file, "utf8")) as {
    snapshot: { meta: { node_fields: string[] } };
    nodes: number[];
  };
  rmSync(file, { force: true });
  return { heap, objects: parsed.nodes.length / parsed.snapshot.meta.node_fields.length };
}

const baseline = await measure();
let started = performance.now();
const model = new DeviceModel(topology, bacnetConfigSchema.parse({ blockObjects: true }), {
  vendorName: "bench",
  modelName: "bench",
  firmwareRevision: "1",
  applicationSoftwareVersion: "1",
});
const server = new BacnetServer(
  model,
  {
    send: () => {},
    snapshot: () => snapshot,
    writeOutput: async () => "E_FORBIDDEN",
    count: () => {},
    debug: () => {},
    now: () => Date.now(),
  },
  { writes: { enabled: false, allow: [] }, cov: { defaultLifetimeMs: 0, maxSubscriptions: 10 } },
);
const buildMs = performance.now() - started;
const built = await measure();
started = performance.now();
let properties = 0;
for (const o of model.objects()) {
  for (const property of [PropertyIdentifier.OBJECT_NAME, PropertyIdentifier.PRESENT_VALUE])
    if (model.read(o, property, ARRAY_ALL, snapshot).ok) properties++;
}
const walkMs = performance.now() - started;
const walked = await measure();

const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
console.log(
  `${topology.blockCount} blocks, ${model.objectCount} objects; built in ${buildMs.toFixed(0)} ms, ` +
    `${properties} properties read in ${walkMs.toFixed(0)} ms`,
);
console.log("| state | heapUsed delta (MB) | heap objects delta |");
console.log("|---|---:|---:|");
for (const [label, m] of [
  ["device model and server built", built],
  ["after reading every object once", walked],
] as const)
  console.log(`| ${label} | ${mb(m.heap - baseline.heap)} | ${(m.objects - baseline.objects).toLocaleString("en")} |`);
// Keep the device reachable until the last measurement.
if (server.subscriptionCount < 0) console.log(server);
