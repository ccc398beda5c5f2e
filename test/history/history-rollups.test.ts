import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import Database from "better-sqlite3";
import { historyConfigSchema } from "../../src/core/history/config-schema.js";
import { createHistoryReader } from "../../src/core/history/reader.js";
import { HistorySampler } from "../../src/core/history/sampler.js";
import { pointDefinition, seriesId } from "../../src/core/history/series.js";
import { SqliteHistoryStore } from "../../src/core/history/sqlite-history-store.js";
import { ModelStore, Q_GOOD } from "../../src/core/model.js";
import { buildTopology } from "../../src/core/topology.js";
import { parseTestConfig, smallPlantYaml } from "../helpers/gateway.js";

const HOUR = 3_600_000;
const T0 = Date.UTC(2025, 0, 1, 10, 0, 0);

/** Block 1/2's voltage at reading k: a known, non-trivial pattern at 1 mV resolution. */
const voltage = (k: number) => Math.round((13.4 + 0.05 * Math.sin(k / 7) + (k % 5) * 0.003) * 1000) / 1000;

describe("history sampling and roll-ups", () => {
  let dir: string;
  let store: SqliteHistoryStore;
  const readings: { time: number; value: number }[] = [];

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "bmsgw-history-"));
    const config = parseTestConfig(smallPlantYaml());
    const topology = buildTopology(config);
    const model = new ModelStore(topology);
    store = new SqliteHistoryStore(join(dir, "history.db"), { flushInterval: 10_000, flushRows: 1_000_000 });
    const history = historyConfigSchema.parse({ interval: "60s", changeThresholds: { "block.voltage": 0.02 } });
    const sampler = new HistorySampler(topology, history, store);
    sampler.resume(T0);
    // Two hours of readings every 10 s for block 1/2 (row 1), ticked like the service does.
    for (let k = 0; k < 720; k++) {
      const time = T0 + k * 10_000;
      const value = voltage(k);
      readings.push({ time, value });
      model.write("block.voltage", 1, value, Q_GOOD, time);
      model.commit(time);
      sampler.tick(model.snapshot(), time);
    }
    sampler.tick(model.snapshot(), T0 + 2 * HOUR); // crosses into the next minute and hour: closes the buckets
    store.flush();
  });
  after(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("stores a raw sample at least every interval and on every significant change, with the exact value", () => {
    const reader = createHistoryReader(buildTopology(parseTestConfig(smallPlantYaml())), store);
    const [series] = reader.query({
      point: "block.voltage",
      stringId: 1,
      block: 2,
      from: T0,
      to: T0 + 2 * HOUR,
      resolution: "raw",
    });
    assert.ok(series);
    const byTime = new Map(readings.map((r) => [r.time, r.value]));
    const points = Array.from(series.data.time, (time, i) => ({ time, avg: series.data.avg[i] as number }));
    let previous: { time: number; value: number } | undefined;
    for (const p of points) {
      assert.equal(p.avg, byTime.get(p.time), `raw sample at ${p.time} holds the reading`);
      if (previous) assert.ok(p.time - previous.time <= 60_000, "no gap longer than the interval");
      previous = { time: p.time, value: p.avg };
    }
    // Every reading that moved ≥ 20 mV from the last stored value was stored.
    let last = Number.NaN;
    let lastTime = 0;
    const stored = new Set(series.data.time);
    for (const r of readings) {
      const due = Number.isNaN(last) || r.time - lastTime >= 60_000 || Math.abs(r.value - last) >= 0.02;
      if (due) {
        assert.ok(stored.has(r.time), `reading at +${(r.time - T0) / 1000}s was due`);
        last = r.value;
        lastTime = r.time;
      }
    }
    assert.ok(points.length < readings.length, "not every reading is stored");
  });

  it("returns per-minute and per-hour min/avg/max equal to values computed from the readings", () => {
    const reader = createHistoryReader(buildTopology(parseTestConfig(smallPlantYaml())), store);
    for (const [resolution, size] of [
      ["minute", 60_000],
      ["hour", HOUR],
    ] as const) {
      const [series] = reader.query({
        point: "block.voltage",
        stringId: 1,
        block: 2,
        from: T0,
        to: T0 + 2 * HOUR,
        resolution,
      });
      assert.ok(series);
      assert.equal(series.data.time.length, (2 * HOUR) / size);
      const d = series.data;
      for (let i = 0; i < d.time.length; i++) {
        const p = {
          time: d.time[i] as number,
          min: d.min[i] as number,
          avg: d.avg[i] as number,
          max: d.max[i] as number,
          count: d.count[i] as number,
        };
        const inBucket = readings.filter((r) => r.time >= p.time && r.time < p.time + size).map((r) => r.value);
        const avg = inBucket.reduce((a, b) => a + b, 0) / inBucket.length;
        assert.equal(p.count, inBucket.length);
        assert.ok(Math.abs(p.min - Math.min(...inBucket)) < 1e-9, `${resolution} min at ${p.time}`);
        assert.ok(Math.abs(p.max - Math.max(...inBucket)) < 1e-9, `${resolution} max at ${p.time}`);
        assert.ok(Math.abs(p.avg - avg) < 1e-9, `${resolution} avg at ${p.time}`);
      }
    }
  });

  it("picks raw, per-minute or per-hour by the span of the query and refuses unknown places", () => {
    const reader = createHistoryReader(buildTopology(parseTestConfig(smallPlantYaml())), store);
    const span = (days: number) =>
      reader.query({ point: "block.voltage", stringId: 1, block: 2, from: T0, to: T0 + days * 86_400_000 })[0]
        ?.resolution;
    assert.equal(span(1), "raw");
    assert.equal(span(30), "minute");
    assert.equal(span(365), "hour");
    assert.equal(reader.query({ point: "block.voltage", stringId: 1, from: T0, to: T0 + HOUR }).length, 8);
    assert.throws(() => reader.query({ point: "block.voltage", stringId: 9, from: T0, to: T0 + HOUR }), /no string 9/);
  });

  it("deletes raw rows past their retention but keeps the roll-ups", () => {
    const series = seriesId(pointDefinition("block.voltage"), 1, 2);
    store.prune({ raw: T0 + HOUR, minute: 0, hour: 0 });
    assert.equal(store.read(series, "raw", T0, T0 + HOUR).time.length, 0);
    assert.ok(store.read(series, "raw", T0 + HOUR, T0 + 2 * HOUR).time.length > 0);
    assert.equal(store.read(series, "minute", T0, T0 + HOUR).time.length, 60);
    assert.equal(store.integrityCheck(), "ok");
  });
});

describe("history store background writes", () => {
  it("writes a large queue in transactions of at most 5,000 rows, yielding between them, and loses no row", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bmsgw-history-chunks-"));
    const commits: number[] = [];
    const store = new SqliteHistoryStore(join(dir, "history.db"), {
      flushInterval: 60_000,
      flushRows: 100,
      onCommit: (rows) => commits.push(rows),
    });
    try {
      const series = seriesId(pointDefinition("block.voltage"), 1, 1);
      const minutes = Array.from({ length: 12_000 }, (_, m) => ({
        series,
        time: T0 + m * 60_000,
        min: 13.4,
        avg: 13.5,
        max: 13.6,
        count: 60,
      }));
      store.appendBuckets("minute", minutes);
      assert.deepEqual(commits, [5000], "the first chunk is written at once, the rest after yielding");
      for (let waited = 0; commits.length < 3 && waited < 10_000; waited += 10)
        await new Promise((resolve) => setTimeout(resolve, 10));
      assert.deepEqual(commits, [5000, 5000, 2000]);
      const read = store.read(series, "minute", T0, T0 + 12_000 * 60_000);
      assert.equal(read.time.length, 12_000);
    } finally {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("history store write failures", () => {
  it("drops a chunk it cannot write, reports it, and writes the rows queued after it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bmsgw-history-fail-"));
    const file = join(dir, "history.db");
    const errors: [string, number][] = [];
    const commits: number[] = [];
    const store = new SqliteHistoryStore(file, {
      flushInterval: 10,
      flushRows: 1_000_000,
      onCommit: (rows) => commits.push(rows),
      onError: (error, rows) => errors.push([error.message, rows]),
    });
    const other = new Database(file);
    try {
      const series = seriesId(pointDefinition("block.voltage"), 1, 1);
      other.exec("ALTER TABLE raw RENAME TO raw_away");
      store.appendSample(series, T0, 13.5);
      store.appendSample(series, T0 + 1000, 13.6);
      for (let waited = 0; errors.length === 0 && waited < 10_000; waited += 10)
        await new Promise((resolve) => setTimeout(resolve, 10));
      assert.equal(errors.length, 1);
      assert.match(errors[0]?.[0] ?? "", /raw/);
      assert.equal(errors[0]?.[1], 2, "both queued rows are reported dropped");
      other.exec("ALTER TABLE raw_away RENAME TO raw");
      store.appendSample(series, T0 + 2000, 13.7);
      for (let waited = 0; commits.length === 0 && waited < 10_000; waited += 10)
        await new Promise((resolve) => setTimeout(resolve, 10));
      assert.deepEqual(commits, [1]);
      assert.deepEqual([...store.read(series, "raw", T0, T0 + 3000).avg], [13.7]);
    } finally {
      other.close();
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
