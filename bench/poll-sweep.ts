/**
 * Poll-sweep benchmark: how close the poller gets to the wire-time minimum, and what it costs in CPU.
 *
 *   npx tsx bench/poll-sweep.ts [--sweeps 8]
 *
 * The simulator runs in a separate process (`bmsgw simulate`) with byte-time pacing at each bus's baud rate, so
 * this process's CPU time is the poller's alone. Two plants: 480 blocks of cell probes at 19200 baud (the demo's
 * layout, 4 buses) and 10,000 blocks behind 84 string masters at 115200 baud (4 buses).
 */

import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { pino } from "pino";
import { gatewayConfigSchema } from "../src/app/config-schema.js";
import { parseConfig } from "../src/core/config/load.js";
import { readFrameSizes, transactionWireMs } from "../src/core/fieldbus/timing.js";
import { ModelStore } from "../src/core/model.js";
import { Poller, type SweepReport } from "../src/core/poller/poller.js";
import { coalesce, minimumReads, placeFields } from "../src/core/poller/read-plan.js";
import { buildTopology } from "../src/core/topology.js";
import { freePorts } from "../test/helpers/ports.js";

const { values } = parseArgs({ options: { sweeps: { type: "string", default: "8" } } });
const SWEEPS = Number(values.sweeps);

/** Profiles only the measuring window (BENCH_PROFILE=prefix writes prefix-<blocks>.cpuprofile). */
async function startProfile(): Promise<{ stop(file: string): Promise<void> }> {
  const { Session } = await import("node:inspector/promises");
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.start");
  return {
    async stop(file) {
      const { profile } = await session.post("Profiler.stop");
      writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
    },
  };
}

async function waitForListener(port: number, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1", () => {
        socket.destroy();
        resolve(true);
      });
      socket.on("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`simulator did not listen on ${port}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function demoPlant(ports: number[]): string {
  const lines = ["buses:"];
  for (const [i, port] of ports.entries())
    lines.push(
      `  - { id: rs485-${i + 1}, transport: { type: rtu-tcp, host: 127.0.0.1, port: ${port}, baudRate: 19200 }, timing: { timeout: 500ms, pollInterval: 0ms } }`,
    );
  lines.push("strings:");
  for (let i = 0; i < ports.length; i++)
    lines.push(
      `  - { id: ${i + 1}, bus: rs485-${i + 1}, blocks: 120, probes: { profile: cell-probe, address: 1 }, stringSensor: { address: 201 }, relay: { address: 220 } }`,
    );
  lines.push("environment: { bus: rs485-1, address: 210 }");
  return lines.join("\n");
}

function largePlant(ports: number[]): string {
  const lines = ["buses:"];
  for (const [i, port] of ports.entries())
    lines.push(
      `  - { id: bus${i + 1}, transport: { type: rtu-tcp, host: 127.0.0.1, port: ${port}, baudRate: 115200 }, timing: { timeout: 500ms, pollInterval: 0ms } }`,
    );
  lines.push("strings:");
  for (let m = 0; m < 84; m++) {
    const blocks = Math.min(120, 10_000 - m * 120);
    lines.push(
      `  - { id: ${m + 1}, bus: bus${(m % 4) + 1}, blocks: ${blocks}, nominalBlockVoltage: 2, capacityAh: 1000, probes: { profile: string-master, address: ${Math.floor(m / 4) + 1} } }`,
    );
  }
  return lines.join("\n");
}

async function run(name: string, makeYaml: (ports: number[]) => string): Promise<void> {
  const ports = await freePorts(4);
  const yaml = makeYaml(ports);
  const dir = mkdtempSync(join(tmpdir(), "bench-sweep-"));
  const file = join(dir, "plant.yaml");
  writeFileSync(
    file,
    `${yaml}\nsimulator: { enabled: true, pacing: true }\nstorage: { path: ${dir} }\nlogging: { level: warn }\n`,
  );
  const sim = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "simulate", "--config", file], {
    stdio: "ignore",
  });
  // The simulator process must not outlive the bench, whatever happens.
  process.once("exit", () => sim.kill("SIGKILL"));
  const parsed = parseConfig(gatewayConfigSchema, `${yaml}\n`);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  const config = parsed.config;
  const topology = buildTopology(config);
  const store = new ModelStore(topology);

  // The least the map needs: per device, its registers over 125 per read, and the wire time of those frames.
  const planned = new Map<string, { tx: number; min: number; wireMs: number }>();
  for (const d of topology.devices) {
    const bus = config.buses.find((b) => b.id === d.bus);
    const baud = bus?.transport.baudRate ?? 19200;
    const fields = placeFields(d.profile, d.role.kind === "blocks" ? d.role.blockCount : 0);
    const ranges = coalesce(fields);
    const p = planned.get(d.bus) ?? { tx: 0, min: 0, wireMs: 0 };
    p.tx += ranges.length;
    p.min += minimumReads(fields);
    for (const r of ranges) {
      const f = readFrameSizes(r.count);
      p.wireMs += transactionWireMs(baud, f.request, f.reply);
    }
    planned.set(d.bus, p);
  }

  const sweeps = new Map<string, SweepReport[]>();
  let measuring = false;
  let cpuStart = process.cpuUsage();
  let done: () => void = () => {};
  const finished = new Promise<void>((r) => {
    done = r;
  });
  const poller = new Poller({
    topology,
    buses: config.buses,
    store,
    endpoint: (b) =>
      b.transport.type === "rtu-tcp"
        ? { type: "tcp", host: b.transport.host, port: b.transport.port }
        : { type: "tcp", host: "", port: 0 },
    emit: () => {},
    onSweep: (report) => {
      store.commit();
      if (!measuring) return;
      const list = sweeps.get(report.bus) ?? [];
      list.push(report);
      sweeps.set(report.bus, list);
      if ([...sweeps.values()].filter((l) => l.length >= SWEEPS).length === config.buses.length) done();
    },
    log: pino({ level: "silent" }),
  });
  for (const port of ports) await waitForListener(port);
  poller.start();
  // Warm-up: identity reads and connection set-up happen in the first sweep.
  while (!store.snapshot().devices.every((d) => d.comm === "ok")) await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, 200));
  measuring = true;
  const profiler = process.env.BENCH_PROFILE ? await startProfile() : undefined;
  const transactionsNow = () =>
    config.buses.reduce((n, b) => n + (poller.statistics(b.id)?.stats.transactions ?? 0), 0);
  const txStart = transactionsNow();
  cpuStart = process.cpuUsage();
  const wallStart = performance.now();
  await finished;
  const cpu = process.cpuUsage(cpuStart);
  const wall = performance.now() - wallStart;
  const windowTx = transactionsNow() - txStart;
  if (profiler) await profiler.stop(`${process.env.BENCH_PROFILE}-${topology.blockCount}.cpuprofile`);
  await poller.stop();
  sim.kill("SIGTERM");
  rmSync(dir, { recursive: true, force: true });

  console.log(
    `\n${name}: ${topology.blockCount} blocks, ${topology.devices.length} devices, ${config.buses.length} buses, ${SWEEPS} sweeps each`,
  );
  console.log("bus        tx/sweep  bound    sweep ms (mean)  wire-min ms  ratio");
  let totalTx = 0;
  for (const bus of config.buses) {
    const list = (sweeps.get(bus.id) ?? []).slice(0, SWEEPS);
    const p = planned.get(bus.id) ?? { tx: 0, min: 0, wireMs: 0 };
    const mean = list.reduce((s, r) => s + r.durationMs, 0) / list.length;
    const tx = list.reduce((s, r) => s + r.transactions, 0) / list.length;
    totalTx += list.reduce((s, r) => s + r.transactions, 0);
    console.log(
      `${bus.id.padEnd(10)} ${tx.toFixed(0).padStart(8)} ${String(p.min).padStart(8)} ${mean.toFixed(1).padStart(16)} ${p.wireMs.toFixed(1).padStart(12)} ${(mean / p.wireMs).toFixed(3).padStart(6)}`,
    );
  }
  // Every transaction the masters ran inside the measuring window, including those of sweeps still running.
  const cpuMs = (cpu.user + cpu.system) / 1000;
  console.log(
    `gateway CPU: ${cpuMs.toFixed(0)} ms over ${wall.toFixed(0)} ms wall, ${windowTx} transactions (${totalTx} in completed sweeps) → ${(cpuMs / windowTx).toFixed(3)} ms per transaction`,
  );
}

await run("480 blocks, cell probes at 19200 baud", demoPlant);
if (!process.env.ONLY_SMALL) await run("10,000 blocks, string masters at 115200 baud", largePlant);
process.exit(0);
