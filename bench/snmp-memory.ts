/**
 * Heap held by the SNMP agent's MIB view over a large plant. Run with
 * `node --expose-gc --import tsx bench/snmp-memory.ts [blocks]` (default 10,000 blocks).
 *
 * It builds the model (every point written, one snapshot), then measures heapUsed (after a full gc) and the number
 * of heap objects (from a heap snapshot) three times: before the view exists, after the view is built and synced
 * (what the running agent holds between requests), and after one full walk through the view (what a bulk walk
 * leaves behind, e.g. per-snapshot encoding caches). The deltas are what the view costs.
 */
import { rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeHeapSnapshot } from "node:v8";
import { gatewayConfigSchema } from "../src/app/config-schema.js";
import { ModelStore, Q_GOOD } from "../src/core/model.js";
import { POINTS, type PointId } from "../src/core/points.js";
import { SETTINGS } from "../src/core/settings.js";
import { buildTopology } from "../src/core/topology.js";
import { MibView, newCounters } from "../src/protocols/snmp/mib-view.js";

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with node --expose-gc --import tsx bench/snmp-memory.ts");

const blocks = Number(process.argv[2] ?? 10_000);
const strings = Math.ceil(blocks / 1000);
const config = gatewayConfigSchema.parse({
  buses: Array.from({ length: strings }, (_, i) => ({
    id: `b${i}`,
    transport: { type: "rtu-tcp", host: "127.0.0.1" },
  })),
  strings: Array.from({ length: strings }, (_, i) => ({
    id: i + 1,
    bus: `b${i}`,
    blocks: Math.ceil(blocks / strings),
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
const settings = SETTINGS.map((s) => ({ index: s.index, name: s.name, value: 1, unit: "V", scale: s.scale }));

async function measure(): Promise<{ heap: number; buffers: number; objects: number }> {
  for (let i = 0; i < 4; i++) gc?.();
  const { heapUsed: heap, arrayBuffers: buffers } = process.memoryUsage();
  const file = writeHeapSnapshot(join(tmpdir(), `bmsgw-snmp-memory-${process.pid}.heapsnapshot`));
  const parsed = JSON.parse(await readFile(file, "utf8")) as {
    snapshot: { meta: { node_fields: string[] } };
    nodes: number[];
  };
  rmSync(file, { force: true });
  return { heap, buffers, objects: parsed.nodes.length / parsed.snapshot.meta.node_fields.length };
}

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
