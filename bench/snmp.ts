/**
 * SNMP agent throughput: our agent and Debian's snmpd, each serving a table of the same number of varbinds, walked
 * by `snmpbulkwalk -Cr50` over v2c and v3 authPriv (SHA-256/AES-128).
 *
 *   npx tsx bench/snmp.ts [blocks,...] [--runs N] [--cpu-prof DIR]
 *
 * Both agents run in their own process and are measured the same way: after a warm-up walk of each, the walks
 * alternate ours / snmpd (the order flips every round) `--runs` times, and the table reports the median and the
 * 10th-90th percentile of the walk times. A walk of an empty subtree (process start, v3 discovery, one request) is
 * measured the same way and quoted as the fixed cost; "net" figures subtract it. `--cpu-prof DIR` writes a CPU profile
 * of our agent's process.
 *
 * Ours: the real SNMP adapter over a model of N blocks (all points written, one snapshot), walking bmsBlockTable
 * (13 columns x N rows). snmpd: a table of the same shape (13 columns x the same (string, block) rows, INTEGER
 * values) made of `override` instances in snmpd.conf, served from snmpd's own registry in C. `override` lines are
 * written in descending OID order: snmpd inserts each registration by walking its sorted list, so ascending order
 * makes start-up quadratic (130,000 instances: 226 s) while descending order keeps it to seconds.
 * (An `extend` table was tried first: snmpd re-parses its output per request and did not answer the first GETBULK
 * of a 130,000-line table within 60 s.)
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { pino } from "pino";
import type { AdapterContext } from "../src/core/adapter.js";
import type { PlantTopology } from "../src/core/topology.js";
import { createSnmpAdapter } from "../src/protocols/snmp/adapter.js";
import { type SnmpConfig, snmpConfigSchema } from "../src/protocols/snmp/config-schema.js";
import { BLOCK_TABLE } from "../src/protocols/snmp/mapping.js";
import { freePort } from "../test/helpers/ports.js";
import { benchTopology, filledModel } from "./lib/bench-plant.js";

const AUTH = "bench-auth-secret";
const PRIV = "bench-priv-secret";
const V3 = ["-v3", "-l", "authPriv", "-u", "benchuser", "-a", "SHA-256", "-A", AUTH, "-x", "AES", "-X", PRIV];
const V2C = ["-v2c", "-c", "bench"];
const BLOCK_COLUMNS = BLOCK_TABLE.columns.filter((c) => c.access !== "not-accessible").length;
/** Where snmpd serves its copy of the table (under the RFC 5612 documentation enterprise, loopback only). */
const SNMPD_TABLE = ".1.3.6.1.4.1.32473.99.1";
const OUR_BLOCK_TABLE = BLOCK_TABLE.oid.join(".");
/** A subtree neither agent serves: its walk is one request plus process start (and v3 discovery). */
const EMPTY_SUBTREE = ".1.3.6.1.4.1.32473.98";

function plantTopology(blocks: number): PlantTopology {
  const strings = blocks <= 480 ? 4 : Math.ceil(blocks / 1000);
  return benchTopology(strings, Math.ceil(blocks / strings));
}

/** Child mode: our agent alone in this process; prints its port, stops on SIGTERM (so --cpu-prof is written). */
async function serveOurs(blocks: number, dir: string): Promise<void> {
  const topology = plantTopology(blocks);
  const store = filledModel(topology);
  const snmpConfig: SnmpConfig = snmpConfigSchema.parse({
    enabled: true,
    host: "127.0.0.1",
    port: 0,
    communities: [{ name: "bench" }],
    users: [
      { name: "benchuser", auth: { protocol: "sha256", password: AUTH }, priv: { protocol: "aes128", password: PRIV } },
    ],
  });
  const cleanups: (() => void | Promise<void>)[] = [];
  let listening = "";
  const ctx: AdapterContext<SnmpConfig> = {
    config: snmpConfig,
    model: { current: () => store.snapshot() },
    changes: { on: () => () => {} },
    auth: { authenticate: async () => ({ ok: false, reason: "invalid-credentials" }), authorize: () => false },
    commands: { run: async () => ({ ok: false, error: "bench", code: "E_BENCH" }), audit: () => {} },
    services: {},
    log: pino({ level: "silent" }),
    health: {
      set: () => {},
      listening: (a) => {
        listening = a;
      },
      count: () => {},
    },
    signal: new AbortController().signal,
    defer: (fn) => void cleanups.push(fn),
    storagePath: dir,
  };
  await createSnmpAdapter().start(ctx);
  process.once("SIGTERM", async () => {
    for (const c of cleanups.reverse()) await c();
    process.exit(0);
  });
  process.stdout.write(`port ${listening.slice(listening.lastIndexOf(":") + 1)}\n`);
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((done) => {
    if (child.exitCode !== null) return done();
    child.once("exit", () => done());
    child.kill("SIGTERM");
  });
}

async function startOurs(blocks: number, dir: string, cpuProfDir: string | undefined) {
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      ...(cpuProfDir ? ["--cpu-prof", "--cpu-prof-dir", cpuProfDir] : []),
      import.meta.filename,
      "--agent",
      String(blocks),
      dir,
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const port = await new Promise<number>((done, fail) => {
    let text = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      text += chunk.toString();
      const m = /port (\d+)\n/.exec(text);
      if (m) done(Number(m[1]));
    });
    child.once("exit", (code) => fail(new Error(`our agent exited (${code}) before listening`)));
  });
  return { port, stop: () => stopChild(child) };
}

async function startSnmpd(topology: PlantTopology, dir: string) {
  const port = await freePort();
  const rows = topology.strings.flatMap((x) => Array.from({ length: x.blockCount }, (_, b) => [x.id, b + 1] as const));
  const overrides: string[] = [];
  for (let column = BLOCK_COLUMNS; column >= 1; column--)
    for (let r = rows.length - 1; r >= 0; r--) {
      const [string, block] = rows[r] as readonly [number, number];
      overrides.push(`override ${SNMPD_TABLE}.${column}.${string}.${block} integer ${(r * 7919 + column) % 65536}`);
    }
  writeFileSync(
    join(dir, "snmpd.conf"),
    [
      `agentaddress udp:127.0.0.1:${port}`,
      "rocommunity bench 127.0.0.1",
      `createUser benchuser SHA-256 ${AUTH} AES ${PRIV}`,
      "rouser benchuser priv",
      ...overrides,
      "",
    ].join("\n"),
  );
  const started = process.hrtime.bigint();
  const child = spawn("snmpd", ["-f", "-Lo", "-C", "-c", join(dir, "snmpd.conf"), "-m", ""], {
    env: { ...process.env, SNMP_PERSISTENT_DIR: dir },
    stdio: ["ignore", "ignore", "ignore"],
  });
  const probe = `${SNMPD_TABLE}.1.${rows[0]?.join(".")}`;
  const answers = () =>
    new Promise<boolean>((done) =>
      execFile(
        "snmpget",
        [...V2C, "-m", "", "-t", "1", "-r", "0", `127.0.0.1:${port}`, probe],
        { env: { ...process.env, SNMPCONFPATH: "/nonexistent" } },
        (error) => done(!error),
      ),
    );
  for (let i = 0; !(await answers()); i++) {
    if (i > 600 || child.exitCode !== null) throw new Error("snmpd did not answer within 10 minutes");
    await new Promise((r) => setTimeout(r, 200));
  }
  return { port, startupMs: Number(process.hrtime.bigint() - started) / 1e6, stop: () => stopChild(child) };
}

/** One full walk: wall time from spawn to exit of snmpbulkwalk, and the varbinds it printed. */
function walk(port: number, oid: string, security: readonly string[]): Promise<{ ms: number; varbinds: number }> {
  const started = process.hrtime.bigint();
  return new Promise((done, fail) => {
    const child = spawn(
      "snmpbulkwalk",
      ["-Cr50", ...security, "-On", "-Oq", "-m", "", "-t", "5", `127.0.0.1:${port}`, oid],
      { env: { ...process.env, SNMPCONFPATH: "/nonexistent" }, stdio: ["ignore", "pipe", "inherit"] },
    );
    let lines = 0;
    child.stdout.on("data", (chunk: Buffer) => {
      for (let at = chunk.indexOf(10); at >= 0; at = chunk.indexOf(10, at + 1)) lines++;
    });
    child.once("error", fail);
    child.once("close", (code) => {
      if (code !== 0) return fail(new Error(`snmpbulkwalk exited ${code}`));
      done({ ms: Number(process.hrtime.bigint() - started) / 1e6, varbinds: lines });
    });
  });
}

function percentile(sorted: readonly number[], p: number): number {
  const at = (sorted.length - 1) * p;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (at - lo);
}

interface Series {
  median: number;
  p10: number;
  p90: number;
}

function series(values: readonly number[]): Series {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: percentile(sorted, 0.5), p10: percentile(sorted, 0.1), p90: percentile(sorted, 0.9) };
}

/** Alternating walks of both agents; the first of each pair flips every round. */
async function alternate(
  runs: number,
  ours: () => Promise<{ ms: number; varbinds: number }>,
  theirs: () => Promise<{ ms: number; varbinds: number }>,
) {
  const a: number[] = [];
  const b: number[] = [];
  const ratios: number[] = [];
  let varbinds = [0, 0];
  await ours();
  await theirs();
  for (let i = 0; i < runs; i++) {
    const first = i % 2 === 0;
    const x = first ? await ours() : undefined;
    const y = await theirs();
    const xx = x ?? (await ours());
    a.push(xx.ms);
    b.push(y.ms);
    ratios.push(y.ms / xx.ms);
    varbinds = [xx.varbinds, y.varbinds];
  }
  return { ours: series(a), theirs: series(b), ratio: series(ratios), varbinds };
}

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { runs: { type: "string" }, "cpu-prof": { type: "string" }, agent: { type: "boolean" } },
  });
  if (values.agent) return serveOurs(Number(positionals[0]), positionals[1] as string);
  const sizes = (positionals[0] ?? "480,10000").split(",").map(Number);
  const table: string[] = [];
  for (const blocks of sizes) {
    const runs = Number(values.runs ?? (blocks <= 1000 ? 21 : 7));
    const dir = mkdtempSync(join(tmpdir(), "bmsgw-bench-snmp-"));
    const topology = plantTopology(blocks);
    const ours = await startOurs(blocks, dir, values["cpu-prof"]);
    const snmpd = await startSnmpd(topology, dir);
    console.log(`${blocks} blocks: snmpd answered ${(snmpd.startupMs / 1000).toFixed(1)} s after start; ${runs} runs`);
    try {
      for (const [label, security] of [
        ["v2c", V2C],
        ["v3 authPriv", V3],
      ] as const) {
        const empty = await alternate(
          runs,
          () => walk(ours.port, EMPTY_SUBTREE, security),
          () => walk(snmpd.port, EMPTY_SUBTREE, security),
        );
        const full = await alternate(
          runs,
          () => walk(ours.port, OUR_BLOCK_TABLE, security),
          () => walk(snmpd.port, SNMPD_TABLE, security),
        );
        const [ourVarbinds, theirVarbinds] = full.varbinds as [number, number];
        const rate = (varbinds: number, ms: number) => (varbinds / ms) * 1000;
        const ourNet = full.ours.median - empty.ours.median;
        const theirNet = full.theirs.median - empty.theirs.median;
        table.push(
          [
            "",
            fmt(topology.blockCount),
            label,
            `${fmt(ourVarbinds)} / ${fmt(theirVarbinds)}`,
            `${full.ours.median.toFixed(0)} (${full.ours.p10.toFixed(0)}–${full.ours.p90.toFixed(0)})`,
            `${full.theirs.median.toFixed(0)} (${full.theirs.p10.toFixed(0)}–${full.theirs.p90.toFixed(0)})`,
            `${fmt(rate(ourVarbinds, full.ours.median))} / ${fmt(rate(theirVarbinds, full.theirs.median))}`,
            `**${(full.theirs.median / full.ours.median).toFixed(2)}** (${full.ratio.p10.toFixed(2)}–${full.ratio.p90.toFixed(2)})`,
            `${empty.ours.median.toFixed(0)} / ${empty.theirs.median.toFixed(0)}`,
            `${fmt(rate(ourVarbinds, ourNet))} / ${fmt(rate(theirVarbinds, theirNet))}`,
            `${(rate(ourVarbinds, ourNet) / rate(theirVarbinds, theirNet)).toFixed(2)}`,
            "",
          ].join(" | "),
        );
        console.log(table.at(-1));
      }
    } finally {
      await snmpd.stop();
      await ours.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  console.log(
    [
      "",
      `snmpbulkwalk -Cr50, walks alternating ours / snmpd after a warm-up; times are median (p10–p90) in ms; ours = bmsBlockTable (${BLOCK_COLUMNS} columns), snmpd = the same (string, block) x ${BLOCK_COLUMNS}-column table of INTEGER \`override\` instances.`,
      "ratio = snmpd median time / ours (> 1: ours faster), with p10–p90 of the per-round ratio; fixed = median walk of an empty subtree (process start, discovery, one request); net = varbinds / (median − fixed).",
      "| blocks | security | varbinds ours / snmpd | ours ms | snmpd ms | varbinds/s ours / snmpd | ratio | fixed ms ours / snmpd | net varbinds/s ours / snmpd | net ratio |",
      "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
      ...table.map((row) => row.trim()),
    ].join("\n"),
  );
}

await main();
