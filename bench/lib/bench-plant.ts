/**
 * What several benches share: a plant of N strings (one bus and one string master each), a model with every point
 * written and committed, and heap figures taken after a full garbage collection.
 */
import { rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeHeapSnapshot } from "node:v8";
import { gatewayConfigSchema } from "../../src/app/config-schema.js";
import { ModelStore, Q_GOOD } from "../../src/core/model.js";
import { POINTS, type PointId } from "../../src/core/points.js";
import { buildTopology, type PlantTopology } from "../../src/core/topology.js";

/** `strings` strings of `blocksPerString` blocks, each read by one string master on its own bus. */
export function benchTopology(strings: number, blocksPerString: number): PlantTopology {
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
  return buildTopology(config);
}

/** A model with every point of every row written once (good quality, values spread over each point's range). */
export function filledModel(topology: PlantTopology): ModelStore {
  const store = new ModelStore(topology);
  const now = Date.now();
  for (const p of POINTS) {
    const rows = p.scope === "system" ? 1 : p.scope === "string" ? topology.strings.length : topology.blockCount;
    for (let r = 0; r < rows; r++)
      store.write(p.id as PointId, r, p.range[0] + ((r % 97) / 97) * (p.range[1] - p.range[0]) * 0.5, Q_GOOD, now);
  }
  store.commit();
  return store;
}

export interface HeapFigures {
  readonly heap: number;
  readonly buffers: number;
  readonly objects: number;
}

/** heapUsed and arrayBuffers after a full gc, and the number of heap objects (from a heap snapshot). */
export async function heapFigures(): Promise<HeapFigures> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error("run with node --expose-gc --import tsx bench/<name>.ts");
  for (let i = 0; i < 4; i++) gc();
  const { heapUsed: heap, arrayBuffers: buffers } = process.memoryUsage();
  const file = writeHeapSnapshot(join(tmpdir(), `bmsgw-bench-heap-${process.pid}.heapsnapshot`));
  const parsed = JSON.parse(await readFile(file, "utf8")) as {
    snapshot: { meta: { node_fields: string[] } };
    nodes: number[];
  };
  rmSync(file, { force: true });
  return { heap, buffers, objects: parsed.nodes.length / parsed.snapshot.meta.node_fields.length };
}
