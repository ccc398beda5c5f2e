/**
 * Modbus TCP throughput and latency: our server against Debian's python3-pymodbus (3.0.0) server, same load.
 * Each server runs in its own process; one Node load generator drives both with FC04 reads of 100 registers:
 * 1 connection sequential, 8 connections × 8 pipelined, 32 connections × 4 pipelined.
 *
 *   npx tsx bench/modbus-tcp.ts [seconds-per-load]
 */
import { type ChildProcess, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { pino } from "pino";

const SECONDS = Number(process.argv[2] ?? 3);

async function serveOurs(): Promise<void> {
  const { gatewayConfigSchema } = await import("../src/app/config-schema.js");
  const { buildTopology } = await import("../src/core/topology.js");
  const { ModelStore } = await import("../src/core/model.js");
  const { modbusConfigSchema } = await import("../src/protocols/modbus/config-schema.js");
  const { ModbusServerCore } = await import("../src/protocols/modbus/server-core.js");
  const { startModbusTcpServer } = await import("../src/protocols/modbus/tcp-server.js");
  const config = gatewayConfigSchema.parse({
    buses: [{ id: "b1", transport: { type: "simulated" } }],
    strings: [{ id: 1, bus: "b1", blocks: 120, probes: { address: 1 } }],
    simulator: { enabled: true },
  });
  const store = new ModelStore(buildTopology(config));
  for (let row = 0; row < 120; row++) {
    store.write("block.voltage", row, 13.5 + row / 1000, 0, Date.now());
    store.write("block.temperature", row, 25, 0, Date.now());
    store.write("block.resistance", row, 4.2, 0, Date.now());
  }
  store.commit();
  const log = pino({ level: "silent" });
  const health = { set() {}, listening() {}, count() {} };
  const modbus = modbusConfigSchema.parse({ enabled: true, port: 0, maxConnections: 1000 });
  const core = new ModbusServerCore(
    {
      model: { current: () => store.snapshot() },
      commands: { run: async () => ({ ok: false, error: "bench", code: "E_BENCH" }), audit() {} },
      auth: { authenticate: async () => ({ ok: false, reason: "invalid-credentials" }), authorize: () => false },
      log,
      health,
    },
    modbus,
  );
  const server = await startModbusTcpServer(
    core,
    { host: "127.0.0.1", port: 0, maxConnections: 1000, idleTimeout: 0 },
    log,
    health,
  );
  process.stdout.write(`PORT ${server.port}\n`);
}

const PYMODBUS = `
import asyncio, socket, sys
from pymodbus.server import StartAsyncTcpServer
from pymodbus.datastore import ModbusSequentialDataBlock, ModbusSlaveContext, ModbusServerContext
import logging
logging.disable(logging.CRITICAL)
s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
block = ModbusSequentialDataBlock(0, list(range(200)))
store = ModbusSlaveContext(ir=block, hr=block, zero_mode=True)
context = ModbusServerContext(slaves=store, single=True)
print("PORT", port, flush=True)
asyncio.run(StartAsyncTcpServer(context=context, address=("127.0.0.1", port)))
`;

function startProcess(command: string, args: string[]): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "inherit"] });
    let text = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      text += chunk.toString();
      const m = /PORT (\d+)/.exec(text);
      if (m) resolve({ child, port: Number(m[1]) });
    });
    child.on("exit", (code) => reject(new Error(`${command} exited with ${code}`)));
  });
}

const REQUEST = (tid: number) => Buffer.from([tid >> 8, tid & 0xff, 0, 0, 0, 6, 1, 4, 0, 0, 0, 100]);

/** Drives one connection with `depth` requests in flight for the duration; records each latency in µs. */
function driveConnection(port: number, depth: number, until: number, latencies: number[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect({ host: "127.0.0.1", port, noDelay: true });
    const sentAt = new Map<number, number>();
    let tid = 0;
    let done = 0;
    let buffer: Buffer = Buffer.alloc(0);
    const send = () => {
      tid = (tid + 1) & 0xffff;
      sentAt.set(tid, performance.now());
      socket.write(REQUEST(tid));
    };
    socket.on("connect", () => {
      for (let i = 0; i < depth; i++) send();
    });
    socket.on("data", (chunk: Buffer) => {
      buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk;
      while (buffer.length >= 6) {
        const length = buffer.readUInt16BE(4);
        if (buffer.length < 6 + length) break;
        const id = buffer.readUInt16BE(0);
        if (buffer[7] !== 4) return reject(new Error(`unexpected reply ${buffer.subarray(0, 9).toString("hex")}`));
        buffer = buffer.subarray(6 + length);
        const t0 = sentAt.get(id);
        sentAt.delete(id);
        if (t0 !== undefined) latencies.push((performance.now() - t0) * 1000);
        done++;
        if (performance.now() < until) send();
        else if (sentAt.size === 0) {
          socket.destroy();
          resolve(done);
        }
      }
    });
    socket.on("error", reject);
  });
}

interface Result {
  rps: number;
  p50: number;
  p99: number;
}

async function load(port: number, connections: number, depth: number): Promise<Result> {
  // Warm-up, then the measured run.
  await Promise.all(
    Array.from({ length: connections }, () => driveConnection(port, depth, performance.now() + 300, [])),
  );
  const latencies: number[] = [];
  const start = performance.now();
  const until = start + SECONDS * 1000;
  const counts = await Promise.all(
    Array.from({ length: connections }, () => driveConnection(port, depth, until, latencies)),
  );
  const elapsed = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { rps: counts.reduce((a, b) => a + b, 0) / elapsed, p50: at(0.5), p99: at(0.99) };
}

async function main(): Promise<void> {
  const self = fileURLToPath(import.meta.url);
  const ours = await startProcess(process.execPath, ["--import", "tsx", self, "--serve"]);
  const script = join(tmpdir(), `bmsgw-bench-pymodbus-${process.pid}.py`);
  writeFileSync(script, PYMODBUS);
  const theirs = await startProcess("/usr/bin/python3", [script]);
  const loads = [
    { name: "1 conn sequential", connections: 1, depth: 1 },
    { name: "8 conn x 8 pipelined", connections: 8, depth: 8 },
    { name: "32 conn x 4 pipelined", connections: 32, depth: 4 },
  ];
  const f = (n: number) => n.toFixed(0).padStart(8);
  const ms = (us: number) => (us / 1000).toFixed(3).padStart(7);
  process.stdout.write(`FC04 x 100 registers, ${SECONDS} s per load, node ${process.version}\n`);
  process.stdout.write(
    "load                     | ours req/s  p50 ms  p99 ms | pymodbus req/s  p50 ms  p99 ms | ratio\n",
  );
  try {
    for (const l of loads) {
      const a = await load(ours.port, l.connections, l.depth);
      const b = await load(theirs.port, l.connections, l.depth);
      process.stdout.write(
        `${l.name.padEnd(24)} | ${f(a.rps)} ${ms(a.p50)} ${ms(a.p99)} | ${f(b.rps)}       ${ms(b.p50)} ${ms(b.p99)} | ${(a.rps / b.rps).toFixed(1)}x\n`,
      );
    }
  } finally {
    ours.child.kill("SIGTERM");
    theirs.child.kill("SIGTERM");
  }
}

if (process.argv.includes("--serve")) await serveOurs();
else await main();
