/**
 * Whole-plant benchmark: 10,000 blocks (84 string masters on 4 simulated buses at 115200 baud, byte-time pacing)
 * with every protocol busy at once, each load from its own process. See docs/benchmarks.md "Whole plant".
 *
 *   npx tsx bench/plant/run.ts [--blocks 10000] [--duration 2m] [--warmup 15s] [--soak 30m]
 *                              [--cpu-prof DIR] [--heap-snapshots DIR] [--web-clients 5]
 *
 * `--soak 30m` runs the scenario for 30 minutes after a 5-minute warm-up and adds the RSS growth figure.
 */
import { parseArgs } from "node:util";
import { parseDuration } from "../../src/core/config/primitives.js";
import { BENCH_DEFAULTS, formatReport, PlantRun } from "./plant.js";

const { values } = parseArgs({
  options: {
    blocks: { type: "string" },
    duration: { type: "string" },
    warmup: { type: "string" },
    soak: { type: "string" },
    "alarm-every": { type: "string" },
    "cpu-prof": { type: "string" },
    "heap-snapshots": { type: "string" },
    "web-clients": { type: "string" },
    built: { type: "boolean", default: false },
  },
});

function duration(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const ms = parseDuration(text);
  if (ms === undefined) throw new Error(`not a duration: ${text} (e.g. 90s, 2m, 30m)`);
  return ms;
}

const soakMs = values.soak ? duration(values.soak, 0) : undefined;
const run = new PlantRun({
  ...BENCH_DEFAULTS,
  blocks: values.blocks ? Number(values.blocks) : BENCH_DEFAULTS.blocks,
  durationMs: soakMs ?? duration(values.duration, BENCH_DEFAULTS.durationMs),
  warmupMs: duration(values.warmup, soakMs ? 5 * 60_000 : BENCH_DEFAULTS.warmupMs),
  alarmEveryMs: duration(values["alarm-every"], BENCH_DEFAULTS.alarmEveryMs),
  // 0 turns the web adapter off (e.g. for --cpu-prof while the http adapter keeps the process alive after stop).
  webClients: values["web-clients"] ? Number(values["web-clients"]) : BENCH_DEFAULTS.webClients,
  // --built runs the gateway as installed (`node dist/src/cli/main.js`, after `npm run build`) instead of through tsx.
  built: values.built ?? false,
  ...(values["cpu-prof"] ? { cpuProfileDir: values["cpu-prof"] } : {}),
  ...(values["heap-snapshots"] ? { heapSnapshotDir: values["heap-snapshots"] } : {}),
  log: (line) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`),
});
let failed = false;
try {
  const report = await run.run();
  console.log(`\n${formatReport(report)}`);
} catch (error) {
  failed = true;
  console.error(error);
} finally {
  await run.cleanup();
}
process.exit(failed ? 1 : 0);
