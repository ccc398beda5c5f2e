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
import { PropertyIdentifier } from "@bacnet-js/client/dist/lib/enum.js";
import { bacnetConfigSchema } from "../src/protocols/bacnet/config-schema.js";
import { ARRAY_ALL, DeviceModel } from "../src/protocols/bacnet/device-model.js";
import { BacnetServer } from "../src/protocols/bacnet/server.js";
import { benchTopology, filledModel, heapFigures as measure } from "./lib/bench-plant.js";

const strings = Number(process.argv[2] ?? 84);
const blocksPerString = Number(process.argv[3] ?? 120);
const topology = benchTopology(strings, blocksPerString);
const snapshot = filledModel(topology).snapshot();

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
