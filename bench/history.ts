// History benchmark: ingest at 10,080 blocks × 4 points on a 1 s cycle (CPU share of one core, rows/s), storage
// per block-day, and query latency for one string-day (raw) and one block-year (hourly roll-ups).
// Run: npx tsx bench/history.ts [--cache-mb=16]   (SQLite page cache, the gateway's history.cacheMB)
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CoreConfig } from "../src/core/config/core-schema.js";
import { historyConfigSchema } from "../src/core/history/config-schema.js";
import { createHistoryReader } from "../src/core/history/reader.js";
import { HistorySampler } from "../src/core/history/sampler.js";
import { pointDefinition, seriesId } from "../src/core/history/series.js";
import { SqliteHistoryStore } from "../src/core/history/sqlite-history-store.js";
import type { HistoryBucket, HistorySample } from "../src/core/history/types.js";
import { ModelStore, Q_GOOD } from "../src/core/model.js";
import type { BlockPointId } from "../src/core/points.js";
import { buildTopology } from "../src/core/topology.js";

const CACHE_MB = Number(process.argv.find((a) => a.startsWith("--cache-mb="))?.slice("--cache-mb=".length) ?? 16);
const STORE_OPTIONS = { flushInterval: 1e9, flushRows: 1e9, cacheMB: CACHE_MB };
const STRINGS = 84;
const BLOCKS = 120;
const DAY = 86_400_000;
const T0 = Date.UTC(2025, 0, 1);

const config = {
  site: { name: "bench", location: "", contact: "", description: "" },
  buses: [],
  strings: Array.from({ length: STRINGS }, (_, i) => ({
    id: i + 1,
    bus: "b",
    chemistry: "vrla",
    nominalBlockVoltage: 12,
    blocks: BLOCKS,
    capacityAh: 100,
    probes: { profile: "cell-probe", address: 1 },
  })),
  storage: { path: "" },
  logging: { level: "info", summaryInterval: 0 },
} as unknown as CoreConfig;
const topology = buildTopology(config);
const POINTS4: readonly BlockPointId[] = [
  "block.voltage",
  "block.temperature",
  "block.resistance",
  "block.equalization",
];

function random(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function ingest(label: string, history: ReturnType<typeof historyConfigSchema.parse>, CYCLES: number) {
  const dir = mkdtempSync(join(tmpdir(), "bench-history-"));
  const store = new SqliteHistoryStore(join(dir, "history.db"), STORE_OPTIONS);
  const sampler = new HistorySampler(topology, history, store);
  const model = new ModelStore(topology);
  const rnd = random(1);
  let cpu = 0;
  let rows = 0;
  for (let k = 0; k < CYCLES; k++) {
    const now = T0 + k * 1000;
    // The poller's work (not measured): fresh readings with realistic noise for every block.
    for (let row = 0; row < topology.blockCount; row++) {
      model.write("block.voltage", row, Math.round((13.5 + (rnd() - 0.5) * 0.004) * 1000) / 1000, Q_GOOD, now);
      model.write("block.temperature", row, Math.round((24 + (rnd() - 0.5) * 0.2) * 10) / 10, Q_GOOD, now);
      model.write("block.resistance", row, 5.012, Q_GOOD, now);
      model.write("block.equalization", row, 0, Q_GOOD, now);
    }
    model.commit(now);
    const before = process.cpuUsage();
    rows += sampler.tick(model.snapshot(), now);
    store.flush();
    const used = process.cpuUsage(before);
    cpu += (used.user + used.system) / 1000;
  }
  store.close();
  rmSync(dir, { recursive: true, force: true });
  const points = topology.blockCount * POINTS4.length * CYCLES;
  const perCycle = cpu / CYCLES;
  console.log(
    `${label}: ${topology.blockCount} blocks × 4 points, ${CYCLES} cycles of 1 s: ${rows} raw rows written, ` +
      `${Math.round(points / (cpu / 1000)).toLocaleString("en")} points/s processed, ` +
      `${Math.round(rows / (cpu / 1000)).toLocaleString("en")} rows/s written, ` +
      `${perCycle.toFixed(1)} ms CPU per cycle = ${(perCycle / 10).toFixed(1)} % of one core`,
  );
}

/** One day at the default settings for `blocks` blocks of string 1: raw every 60 s, minute and hour roll-ups. */
function synthesizeDay(store: SqliteHistoryStore, blocks: number, day: number) {
  const rnd = random(day + 7);
  for (let b = 1; b <= blocks; b++) {
    for (const id of POINTS4) {
      const series = seriesId(pointDefinition(id), 1, b);
      const base = id === "block.voltage" ? 13.5 : id === "block.temperature" ? 24 : id === "block.resistance" ? 5 : 0;
      const raw: HistorySample[] = [];
      const minute: HistoryBucket[] = [];
      for (let m = 0; m < 1440; m++) {
        const time = T0 + day * DAY + m * 60_000;
        const value = id === "block.equalization" ? 0 : Math.round((base + (rnd() - 0.5) * 0.05) * 1000) / 1000;
        raw.push({ series, time, value });
        minute.push({ series, time, min: value - 0.002, avg: value, max: value + 0.002, count: 60 });
      }
      const hour: HistoryBucket[] = Array.from({ length: 24 }, (_, h) => ({
        series,
        time: T0 + day * DAY + h * 3_600_000,
        min: base - 0.01,
        avg: base,
        max: base + 0.01,
        count: 3600,
      }));
      store.appendRaw(raw);
      store.appendBuckets("minute", minute);
      store.appendBuckets("hour", hour);
    }
    store.flush();
  }
}

function timeIt(fn: () => unknown, runs = 7): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(runs / 2)] as number;
}

function queries() {
  const dir = mkdtempSync(join(tmpdir(), "bench-history-q-"));
  const file = join(dir, "history.db");
  const store = new SqliteHistoryStore(file, STORE_OPTIONS);
  // Storage growth: one day of string 1 (120 blocks) at default settings.
  synthesizeDay(store, BLOCKS, 0);
  store.flush();
  store.close();
  const oneDay = new SqliteHistoryStore(file, STORE_OPTIONS);
  oneDay.close(); // checkpoints the WAL into the main file
  const bytes = statSync(file).size;
  console.log(
    `storage: one day of ${BLOCKS} blocks × 4 points (raw 60 s + minute + hour) = ${(bytes / 1e6).toFixed(1)} MB → ` +
      `${Math.round(bytes / BLOCKS / 1000)} kB per block per day`,
  );
  // A year of hourly roll-ups for block 1/1 plus a second day of raw for the string.
  const reopened = new SqliteHistoryStore(file, STORE_OPTIONS);
  synthesizeDay(reopened, BLOCKS, 1);
  for (const id of POINTS4) {
    const series = seriesId(pointDefinition(id), 1, 1);
    const hours: HistoryBucket[] = Array.from({ length: 365 * 24 }, (_, h) => ({
      series,
      time: T0 - 365 * DAY + h * 3_600_000,
      min: 13.4,
      avg: 13.5,
      max: 13.6,
      count: 3600,
    }));
    reopened.appendBuckets("hour", hours);
  }
  reopened.flush();
  const reader = createHistoryReader(topology, reopened);
  let n = 0;
  const stringDay = timeIt(() => {
    n = reader
      .query({ point: "block.voltage", stringId: 1, from: T0 + DAY, to: T0 + 2 * DAY })
      .reduce((a, s) => a + s.data.time.length, 0);
  });
  console.log(
    `query one string-day (block.voltage, 120 blocks, raw): ${n} points in ${stringDay.toFixed(1)} ms (median of 7)`,
  );
  const blockYear = timeIt(() => {
    n = reader
      .query({ point: "block.voltage", stringId: 1, block: 1, from: T0 - 365 * DAY, to: T0 })
      .reduce((a, s) => a + s.data.time.length, 0);
  });
  console.log(`query one block-year (block.voltage, hourly): ${n} points in ${blockYear.toFixed(1)} ms (median of 7)`);
  reopened.close();
  rmSync(dir, { recursive: true, force: true });
}

console.log(`SQLite page cache ${CACHE_MB} MB`);
// 180 cycles cross three minute boundaries: interval samples, minute roll-ups and hour upserts are included.
ingest("default settings (interval 60 s, change ≥ 10 × resolution)", historyConfigSchema.parse({}), 180);
ingest(
  "worst case (every reading stored)",
  historyConfigSchema.parse({
    interval: "1s",
    changeThresholds: { "block.voltage": 0, "block.temperature": 0, "block.resistance": 0, "block.equalization": 0 },
  }),
  60,
);
queries();
