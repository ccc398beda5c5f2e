/**
 * Heap held by the SNMP agent's MIB view over a large plant. Run with
 * `node --expose-gc --import tsx bench/snmp-memory.ts [blocks]` (default 10,000 blocks).
 *
 * It builds the model (every point written, one snapshot), then measures heapUsed (after a full gc) and the number
 * of heap objects (from a heap snapshot) three times: before the view exists, after the view is built and synced
 * (what the running agent holds between requests), and after one full walk through the view (what a bulk walk
 * leaves behind, e.g. per-snapshot encoding caches). The deltas are what the view costs.
 */
import { SETTINGS } from "../src/core/settings.js";
import { MibView, newCounters } from "../src/protocols/snmp/mib-view.js";
import { benchTopology, filledModel, heapFigures as measure } from "./lib/bench-plant.js";

const blocks = Number(process.argv[2] ?? 10_000);
const strings = Math.ceil(blocks / 1000);
const topology = benchTopology(strings, Math.ceil(blocks / strings));
const snapshot = filledModel(topology).snapshot();
const settings = SETTINGS.map((s) => ({ index: s.index, name: s.name, value: 1, unit: "V", scale: s.scale }));

const baseline = await measure();
const view = new MibView({
  topology,
  softwareVersion: "bench",
  engineId: Buffer.from("800000000501020304", "hex"),
  engineBoots: 1,
  engineTime: () => 1,
  upTime: () => 100,
  counters: newCounters(),
  eventCounts: new Map(),
  thresholds: { list: () => settings, write: async () => ({ ok: true }) },
});
view.sync(snapshot);
const built = await measure();
let bytes = 0;
for (let i = 0; i < view.size; i++) bytes += view.varbind(i, snapshot).length;
const walked = await measure();

const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
console.log(`${topology.blockCount} blocks, ${view.size} instances in the view, ${bytes} bytes of varbinds walked`);
console.log("| state | heapUsed delta (MB) | arrayBuffers delta (MB) | heap objects delta |");
console.log("|---|---:|---:|---:|");
for (const [label, m] of [
  ["view built and synced", built],
  ["after one full walk", walked],
] as const)
  console.log(
    `| ${label} | ${mb(m.heap - baseline.heap)} | ${mb(m.buffers - baseline.buffers)} | ${m.objects - baseline.objects} |`,
  );
// Keep the view reachable until the last measurement.
if (view.size < 0) console.log(view);
