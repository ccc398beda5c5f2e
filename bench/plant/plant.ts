/**
 * The whole-plant run: one gateway process with every protocol on, driven at once by client processes (Modbus TCP
 * masters, an SNMP walker, BACnet COV subscribers, SSH console sessions, web live-stream clients) and two Debian
 * receivers (snmptrapd, rsyslogd), while a scenario pushes blocks over the high-voltage alarm level and back.
 * Used by `bench/plant/run.ts` (10,000 blocks, figures) and `test/plant/` (480 blocks, correctness).
 */
import { type ChildProcess, fork, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { sendControlRequest } from "../../src/app/control-server.js";
import type { BusSweepTotals, ProcessDiagnostics } from "../../src/app/diagnostics.js";
import type { HealthReport } from "../../src/core/adapter.js";
import {
  clientMessageSchema,
  type Destination,
  freePorts,
  now,
  percentile,
  SCENARIO_EVENT_ID,
  type SeenMessage,
  type StatsMessage,
  sleep,
} from "./common.js";
import { type Received, SyslogReceiver, stopChild, TrapReceiver } from "./peers.js";

const REPO = resolve(import.meta.dirname, "../..");
const USER = "plant-bench";
const PASSWORD = "plant-bench-pw-1";
const COMMUNITY = "plant-public";
const TRAP_COMMUNITY = "plant-trap";
/** A 2 V VRLA cell alarms above 2.40 V; the scenario pushes a block well over it and back to automatic. */
const ALARM_VOLTAGE = "2.60";

export interface PlantOptions {
  readonly blocks: number;
  readonly buses: number;
  /** Scenario length after the warm-up. */
  readonly durationMs: number;
  readonly warmupMs: number;
  /** A new alarm is pushed this often (on a string with no alarm in flight). */
  readonly alarmEveryMs: number;
  readonly modbusMasters: number;
  /** Each master reads the whole map once per interval (immediately again when a pass takes longer). */
  readonly modbusIntervalMs: number;
  readonly snmpIntervalMs: number;
  readonly bacnetSubscribers: number;
  readonly bacnetAnalogPerSubscriber: number;
  readonly sshSessions: number;
  readonly sshThinkMs: number;
  readonly webClients: number;
  /** Run the gateway with --cpu-prof (profile written to profileDir). */
  readonly cpuProfileDir?: string;
  /** Run the compiled gateway (dist/src/cli/main.js) as an installed one runs, instead of src through tsx. */
  readonly built?: boolean;
  /** Write heap snapshots of the gateway after the warm-up and at the end into this folder. */
  readonly heapSnapshotDir?: string;
  readonly log: (line: string) => void;
}

export const BENCH_DEFAULTS: Omit<PlantOptions, "log"> = {
  blocks: 10_000,
  buses: 4,
  durationMs: 120_000,
  warmupMs: 15_000,
  alarmEveryMs: 1000,
  modbusMasters: 8,
  modbusIntervalMs: 10_000,
  snmpIntervalMs: 10_000,
  bacnetSubscribers: 50,
  bacnetAnalogPerSubscriber: 10,
  sshSessions: 5,
  sshThinkMs: 1000,
  webClients: 5,
};

/** One pushed alarm and what each destination saw of it. */
export interface AlarmRecord {
  readonly stringId: number;
  readonly block: number;
  readonly pushAt: number;
  clearAt?: number;
  /** `destination[:observer]` → times seen raised / cleared. */
  readonly raised: Map<string, number[]>;
  readonly cleared: Map<string, number[]>;
}

export interface ProtocolFigures {
  readonly protocol: string;
  /** Requests in the measuring window; `totalRequests` includes set-up (e.g. BACnet subscriptions, logins). */
  readonly requests: number;
  readonly totalRequests: number;
  readonly errors: number;
  readonly perSecond: number;
  readonly errorSamples: readonly string[];
  readonly extra: Record<string, number>;
}

export interface DestinationFigures {
  readonly destination: Destination;
  readonly observers: number;
  readonly raiseLatency: { p50: number; p99: number; max: number; samples: number };
  readonly clearLatency: { p50: number; p99: number; max: number; samples: number };
  /** Alarm × observer pairs that never arrived (raised or cleared). */
  readonly missing: number;
  /** Arrivals beyond the first for one alarm × observer × state. */
  readonly duplicates: number;
  /** Arrivals of the scenario's alarm that match no pushed alarm. */
  readonly unexpected: number;
}

export interface PlantReport {
  readonly blocks: number;
  readonly strings: number;
  readonly buses: number;
  readonly startupMs: number;
  readonly startGatewayMs?: number;
  readonly firstSweepMs: number;
  readonly measuredMs: number;
  readonly sweeps: readonly { bus: string; meanMs: number; lastMs: number; sweeps: number; failedDevices: number }[];
  readonly rss: { start: number; afterWarmup: number; peak: number; end: number; highWaterMark?: number };
  /** process.memoryUsage() of the gateway at the end of the window. */
  readonly memoryAtEnd: NodeJS.MemoryUsage;
  /** RSS growth over the soak after its warm-up: mean of the last tenth of samples vs the first tenth. */
  readonly rssGrowthPercent?: number;
  readonly cpuPercent: number;
  readonly eventLoop: { p50: number; p99: number; max: number };
  readonly protocols: readonly ProtocolFigures[];
  readonly destinations: readonly DestinationFigures[];
  readonly alarms: number;
  readonly unavailable: readonly string[];
  readonly health: readonly HealthReport[];
  readonly notes: readonly string[];
}

interface Client {
  readonly name: string;
  readonly child: ChildProcess;
  stats?: StatsMessage;
  ready: boolean;
  fatal?: string;
}

/** Runs one whole-plant session; `cleanup()` stops every process it started, also after a failure. */
export class PlantRun {
  private readonly dir = mkdtempSync(join(tmpdir(), "bmsgw-plant-"));
  private gateway: ChildProcess | undefined;
  private gatewayOutput = "";
  private readonly clients: Client[] = [];
  private trap: TrapReceiver | undefined;
  /** One UDP port per BACnet subscriber, distinct from each other and from the gateway's ports. */
  private bacnetPorts: number[] = [];
  private syslog: SyslogReceiver | undefined;
  private readonly alarms: AlarmRecord[] = [];
  private readonly seen: SeenMessage[] = [];
  private readonly exitHandler = () => this.killAll();

  constructor(private readonly options: PlantOptions) {
    process.once("exit", this.exitHandler);
  }

  private get storage(): string {
    return join(this.dir, "storage");
  }

  async run(): Promise<PlantReport> {
    const o = this.options;
    const strings = Array.from({ length: Math.ceil(o.blocks / 120) }, (_, m) => ({
      id: m + 1,
      blocks: Math.min(120, o.blocks - m * 120),
    }));
    const free = await freePorts(7 + o.bacnetSubscribers);
    const port = () => free.pop() as number;
    const ports = {
      modbus: port(),
      snmp: port(),
      bacnet: port(),
      ssh: port(),
      http: port(),
      trap: port(),
      syslog: port(),
    };
    this.bacnetPorts = free;
    this.trap = new TrapReceiver(this.dir, ports.trap, TRAP_COMMUNITY);
    this.syslog = new SyslogReceiver(this.dir, ports.syslog);
    await this.trap.start();
    await this.syslog.start();
    const configFile = join(this.dir, "plant.yaml");
    writeFileSync(configFile, plantYaml(o, strings, ports, this.storage));
    await this.cli(["user", "--config", configFile, "add", USER, "--role", "viewer", "--password-stdin"], PASSWORD);

    // Start-up: from spawning the process until every adapter is up and the TCP listeners accept.
    const spawnedAt = now();
    this.startGateway(configFile);
    const health = await this.waitForListeners(ports);
    const startupMs = now() - spawnedAt;
    const startGatewayMs = Number(this.gatewayOutput.match(/started in (\d+) ms/)?.[1] ?? Number.NaN);
    o.log(`gateway ready in ${startupMs.toFixed(0)} ms (startGateway ${startGatewayMs} ms)`);
    const atReady = await this.diagnostics(false);
    // Every bus has finished one sweep: the model is complete.
    while (!(await this.diagnostics(false)).buses.every((b) => b.sweeps >= 1) || (await this.buses()) < o.buses)
      await sleep(50);
    const firstSweepMs = now() - spawnedAt;

    const unavailable: string[] = [];
    const http = health.find((h) => h.component === "http");
    const hasWeb = http?.state === "ok" && http.listeners.length > 0;
    if (!hasWeb)
      unavailable.push(
        o.webClients === 0
          ? "web: turned off for this run (webClients 0)"
          : http
            ? `web: the http adapter is ${http.state} (${http.text}); the live-stream clients and the web destination were skipped`
            : "web: the gateway runs no http adapter (not registered in src/app/registry.ts); the live-stream clients and the web destination were skipped",
      );
    await this.startClients(o, strings, ports, hasWeb);
    const setUp = await this.diagnostics(false);
    o.log(
      `clients ready: ${this.clients.map((c) => `${c.name} (${c.stats?.requests ?? 0} requests, ${c.stats?.errors ?? 0} errors)`).join(", ")}; event-loop delay since ready p99 ${setUp.eventLoop?.p99.toFixed(1)} ms, max ${setUp.eventLoop?.max.toFixed(0)} ms`,
    );

    await this.pace(o.warmupMs);
    if (o.heapSnapshotDir) await this.heapSnapshot();
    const warm = await this.diagnostics(true);
    const statsAtStart = new Map(this.clients.map((c) => [c.name, c.stats]));
    const measureStart = now();
    const sweepEstimate = Math.max(...warm.buses.map((b) => b.lastMs), 50);
    const holdMs = Math.max(1000, 3 * sweepEstimate);
    o.log(`warm-up done; sweep ≈ ${sweepEstimate.toFixed(0)} ms, alarms held ${holdMs.toFixed(0)} ms`);

    const samples: ProcessDiagnostics[] = [warm];
    const scenario = this.scenario(strings, holdMs, measureStart + o.durationMs);
    while (now() < measureStart + o.durationMs) {
      await this.pace(1000);
      samples.push(await this.diagnostics(false));
      const last = samples[samples.length - 1] as ProcessDiagnostics;
      if (samples.length % 10 === 0)
        o.log(
          `${((now() - measureStart) / 1000).toFixed(0)} s: rss ${mb(last.memory.rss)} MB, ${this.alarms.length} alarms, sweep ${last.buses.map((b) => b.lastMs.toFixed(0)).join("/")} ms`,
        );
    }
    await scenario;
    if (this.scenarioErrors.length > 0) throw new Error(`scenario failed: ${this.scenarioErrors.join("; ")}`);
    // Let the last alarms clear and arrive everywhere.
    const drainUntil = now() + 2 * holdMs + 5000;
    while (now() < drainUntil && !this.complete(hasWeb)) await this.pace(200);
    const end = await this.diagnostics(false);
    samples.push(end);
    const measuredMs = now() - measureStart;
    if (o.heapSnapshotDir) await this.heapSnapshot();
    const healthAnswer = await sendControlRequest(this.storage, { op: "health" });
    const finalHealth = (healthAnswer.ok ? (healthAnswer as { data?: HealthReport[] }).data : undefined) ?? [];
    await this.stopClients();
    const highWaterMark = this.highWaterMark();
    const stopped = await this.stopGateway();
    await this.trap.stop();
    await this.syslog.stop();
    this.collectReceivers();

    return {
      blocks: o.blocks,
      strings: strings.length,
      buses: o.buses,
      startupMs,
      ...(Number.isFinite(startGatewayMs) ? { startGatewayMs } : {}),
      firstSweepMs,
      measuredMs,
      sweeps: sweepFigures(warm.buses, end.buses),
      rss: {
        start: atReady.memory.rss,
        afterWarmup: warm.memory.rss,
        peak: Math.max(...samples.map((s) => s.memory.rss)),
        end: end.memory.rss,
        ...(highWaterMark ? { highWaterMark } : {}),
      },
      memoryAtEnd: end.memory,
      ...(o.durationMs >= 10 * 60_000 ? { rssGrowthPercent: growth(samples.map((s) => s.memory.rss)) } : {}),
      cpuPercent:
        ((end.cpu.user + end.cpu.system - warm.cpu.user - warm.cpu.system) / 1000 / (end.time - warm.time)) * 100,
      eventLoop: end.eventLoop ?? { p50: Number.NaN, p99: Number.NaN, max: Number.NaN },
      protocols: this.clients.map((c) => protocolFigures(c, statsAtStart.get(c.name), measuredMs)),
      destinations: this.destinationFigures(hasWeb),
      alarms: this.alarms.length,
      unavailable,
      health: finalHealth,
      notes: [stopped],
    };
  }

  /** Waits `ms` while reading what rsyslog wrote. */
  private async pace(ms: number): Promise<void> {
    const until = now() + ms;
    while (now() < until) {
      this.syslog?.poll();
      await sleep(Math.min(100, Math.max(0, until - now())));
    }
  }

  private async scenario(strings: { id: number; blocks: number }[], holdMs: number, until: number): Promise<void> {
    const busyUntil = new Map<number, number>();
    const used = new Set<string>();
    const pending: Promise<void>[] = [];
    let next = 0;
    while (now() < until - 2 * holdMs) {
      const free = strings.filter((s) => (busyUntil.get(s.id) ?? 0) <= now());
      const s = free[next++ % Math.max(1, free.length)];
      if (s) {
        let block = 1 + Math.floor(Math.random() * s.blocks);
        for (let tries = 0; used.has(`${s.id}/${block}`) && tries < s.blocks; tries++) block = (block % s.blocks) + 1;
        used.add(`${s.id}/${block}`);
        busyUntil.set(s.id, now() + 2 * holdMs + 500);
        pending.push(
          this.pushAlarm(s.id, block, holdMs).catch((error: Error) => {
            this.scenarioErrors.push(`alarm ${s.id}/${block}: ${error.message}`);
          }),
        );
      }
      await sleep(this.options.alarmEveryMs);
    }
    await Promise.all(pending);
  }

  private async pushAlarm(stringId: number, block: number, holdMs: number): Promise<void> {
    for (const c of this.clients) if (c.name === "modbus") c.child.send({ type: "watch", stringId, block });
    await sleep(20);
    const record: AlarmRecord = { stringId, block, pushAt: now(), raised: new Map(), cleared: new Map() };
    this.alarms.push(record);
    await this.sim(["set", `${stringId}/${block}`, "voltage", ALARM_VOLTAGE]);
    await sleep(holdMs);
    record.clearAt = now();
    await this.sim(["set", `${stringId}/${block}`, "voltage", "auto"]);
  }

  /** Writes a heap snapshot of the gateway (SIGUSR2) and waits until it answers again. */
  private async heapSnapshot(): Promise<void> {
    this.gateway?.kill("SIGUSR2");
    await sleep(1000);
    await sendControlRequest(this.storage, { op: "status" }, 300_000);
  }

  private async sim(args: string[]): Promise<void> {
    const result = await sendControlRequest(this.storage, { op: "sim", args }, 60_000);
    if (!result.ok) throw new Error(`sim ${args.join(" ")}: ${result.error}`);
  }

  /** Whether every pushed alarm has been raised and cleared at every destination and observer. */
  private complete(hasWeb: boolean): boolean {
    this.collectReceivers(false);
    const expected = this.expectedObservers(hasWeb);
    return this.alarms.every((a) =>
      expected.every(([key]) => (a.raised.get(key)?.length ?? 0) > 0 && (a.cleared.get(key)?.length ?? 0) > 0),
    );
  }

  private expectedObservers(hasWeb: boolean): [string, Destination][] {
    const o = this.options;
    const list: [string, Destination][] = [
      ["snmp-trap", "snmp-trap"],
      ["syslog", "syslog"],
      ["modbus", "modbus"],
    ];
    for (let i = 0; i < o.bacnetSubscribers; i++) list.push([`bacnet:${i}`, "bacnet"]);
    if (hasWeb) for (let i = 0; i < o.webClients; i++) list.push([`web:${i}`, "web"]);
    return list;
  }

  private collected = { trap: 0, syslog: 0, seen: 0 };
  private readonly scenarioErrors: string[] = [];
  private unexpected = new Map<Destination, number>();

  /** Files every arrival not yet filed under the alarm it belongs to (same string and block, latest push before it). */
  private collectReceivers(final = true): void {
    if (final) this.syslog?.poll();
    const file = (destination: Destination, observer: string, r: Received) => {
      const candidates = this.alarms.filter(
        (a) => a.stringId === r.stringId && (r.block === undefined || a.block === r.block) && a.pushAt <= r.time,
      );
      const alarm = candidates[candidates.length - 1];
      if (!alarm || r.eventId !== SCENARIO_EVENT_ID) {
        this.unexpected.set(destination, (this.unexpected.get(destination) ?? 0) + 1);
        return;
      }
      const map = r.state === "raised" ? alarm.raised : alarm.cleared;
      const list = map.get(observer) ?? [];
      list.push(r.time);
      map.set(observer, list);
    };
    const traps = this.trap?.received ?? [];
    for (; this.collected.trap < traps.length; this.collected.trap++)
      file("snmp-trap", "snmp-trap", traps[this.collected.trap] as Received);
    const logs = this.syslog?.received ?? [];
    for (; this.collected.syslog < logs.length; this.collected.syslog++)
      file("syslog", "syslog", logs[this.collected.syslog] as Received);
    for (; this.collected.seen < this.seen.length; this.collected.seen++) {
      const s = this.seen[this.collected.seen] as SeenMessage;
      const observer =
        s.destination === "bacnet" || s.destination === "web" ? `${s.destination}:${s.observer}` : s.destination;
      file(s.destination, observer, s);
    }
  }

  private destinationFigures(hasWeb: boolean): DestinationFigures[] {
    const expected = this.expectedObservers(hasWeb);
    const destinations = [...new Set(expected.map(([, d]) => d))];
    return destinations.map((destination) => {
      const observers = expected.filter(([, d]) => d === destination).map(([k]) => k);
      const raise: number[] = [];
      const clear: number[] = [];
      let missing = 0;
      let duplicates = 0;
      for (const a of this.alarms)
        for (const key of observers) {
          const r = a.raised.get(key) ?? [];
          const c = a.cleared.get(key) ?? [];
          if (r.length === 0) missing++;
          if (c.length === 0) missing++;
          duplicates += Math.max(0, r.length - 1) + Math.max(0, c.length - 1);
          if (r[0] !== undefined) raise.push(r[0] - a.pushAt);
          if (c[0] !== undefined && a.clearAt !== undefined) clear.push(c[0] - a.clearAt);
        }
      return {
        destination,
        observers: observers.length,
        raiseLatency: summary(raise),
        clearLatency: summary(clear),
        missing,
        duplicates,
        unexpected: this.unexpected.get(destination) ?? 0,
      };
    });
  }

  private async cli(args: string[], input: string): Promise<void> {
    const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
      cwd: REPO,
      stdio: ["pipe", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      output += d.toString();
    });
    child.stdin.end(`${input}\n`);
    const code = await new Promise<number | null>((done) => child.once("exit", done));
    if (code !== 0) throw new Error(`bmsgw ${args.join(" ")} failed (${code}): ${output}`);
  }

  private startGateway(configFile: string): void {
    const o = this.options;
    const flags = [
      ...(o.cpuProfileDir ? ["--cpu-prof", "--cpu-prof-dir", o.cpuProfileDir] : []),
      ...(o.heapSnapshotDir ? ["--heapsnapshot-signal=SIGUSR2", `--diagnostic-dir=${o.heapSnapshotDir}`] : []),
    ];
    const child = spawn(
      process.execPath,
      [
        ...flags,
        ...(o.built ? ["dist/src/cli/main.js"] : ["--import", "tsx", "src/cli/main.ts"]),
        "start",
        "--config",
        configFile,
      ],
      { cwd: REPO, stdio: ["ignore", "pipe", "pipe"] },
    );
    this.gateway = child;
    const keep = (d: Buffer) => {
      this.gatewayOutput += d.toString();
      if (this.gatewayOutput.length > 200_000) this.gatewayOutput = this.gatewayOutput.slice(-50_000);
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
  }

  private async waitForListeners(ports: { modbus: number; ssh: number }): Promise<HealthReport[]> {
    const deadline = now() + 60_000;
    for (;;) {
      if (this.gateway?.exitCode !== null) throw new Error(`the gateway exited: ${this.gatewayOutput.slice(-4000)}`);
      if (now() > deadline) throw new Error(`the gateway did not get ready: ${this.gatewayOutput.slice(-4000)}`);
      const answer = await sendControlRequest(this.storage, { op: "health" }, 2000).catch(() => undefined);
      const health = (answer?.ok ? (answer as { data?: HealthReport[] }).data : undefined) ?? [];
      // The web adapter is new; when it fails the rest is still measured and the report says why web is missing.
      const down = health.filter((h) => h.state === "down" && h.component !== "http");
      if (down.length > 0)
        throw new Error(`adapters down at start: ${down.map((h) => `${h.component}: ${h.text}`).join("; ")}`);
      if (health.length > 0 && (await accepts(ports.modbus)) && (await accepts(ports.ssh))) return health;
      await sleep(10);
    }
  }

  private async diagnostics(reset: boolean): Promise<ProcessDiagnostics> {
    // Generous: writing a heap snapshot stops the gateway for several seconds at 10,000 blocks.
    const answer = await sendControlRequest(this.storage, { op: "diagnostics", reset }, 60_000);
    if (!answer.ok) throw new Error(`diagnostics: ${answer.error}`);
    return (answer as unknown as { data: ProcessDiagnostics }).data;
  }

  private async buses(): Promise<number> {
    return (await this.diagnostics(false)).buses.length;
  }

  /** Peak resident set of the gateway process as the kernel recorded it (Linux). */
  private highWaterMark(): number | undefined {
    try {
      const status = readFileSync(`/proc/${this.gateway?.pid}/status`, "utf8");
      const kb = Number(status.match(/VmHWM:\s+(\d+) kB/)?.[1]);
      return Number.isFinite(kb) ? kb * 1024 : undefined;
    } catch {
      return undefined;
    }
  }

  private async startClients(
    o: PlantOptions,
    strings: { id: number; blocks: number }[],
    ports: Record<string, number>,
    hasWeb: boolean,
  ): Promise<void> {
    const bacnetPorts = this.bacnetPorts;
    const specs: [string, Record<string, unknown>][] = [
      ["modbus", { port: ports.modbus, masters: o.modbusMasters, intervalMs: o.modbusIntervalMs, strings }],
      ["snmp", { port: ports.snmp, community: COMMUNITY, intervalMs: o.snmpIntervalMs, rootOid: "1.3.6.1.4.1.32473" }],
      [
        "bacnet",
        {
          devicePort: ports.bacnet,
          ports: bacnetPorts,
          strings,
          analogPerSubscriber: o.bacnetAnalogPerSubscriber,
          lifetimeS: 3600,
        },
      ],
      [
        "ssh",
        { port: ports.ssh, user: USER, password: PASSWORD, sessions: o.sshSessions, thinkMs: o.sshThinkMs, strings },
      ],
    ];
    if (hasWeb) specs.push(["web", { port: ports.http, user: USER, password: PASSWORD, clients: o.webClients }]);
    for (const [name, settings] of specs) {
      const child = fork(join(import.meta.dirname, "clients", `${name}.ts`), [], {
        cwd: REPO,
        execArgv: ["--import", "tsx"],
        env: { ...process.env, PLANT_CLIENT: JSON.stringify(settings) },
        stdio: ["ignore", "inherit", "inherit", "ipc"],
      });
      const client: Client = { name, child, ready: false };
      this.clients.push(client);
      child.on("message", (raw) => this.onClientMessage(client, raw));
    }
    const deadline = now() + 600_000;
    let nextLog = now() + 10_000;
    while (!this.clients.every((c) => c.ready)) {
      if (now() > nextLog) {
        nextLog += 10_000;
        o.log(
          `waiting for ${this.clients
            .filter((c) => !c.ready)
            .map((c) => `${c.name} (${c.stats?.requests ?? 0} requests, ${c.stats?.errors ?? 0} errors)`)
            .join(", ")}`,
        );
      }
      const failed = this.clients.find((c) => c.fatal || c.child.exitCode !== null);
      if (failed) throw new Error(`client ${failed.name} failed: ${failed.fatal ?? `exit ${failed.child.exitCode}`}`);
      if (now() > deadline)
        throw new Error(`clients not ready: ${this.clients.filter((c) => !c.ready).map((c) => c.name)}`);
      await sleep(50);
    }
  }

  private onClientMessage(client: Client, raw: unknown): void {
    const parsed = clientMessageSchema.safeParse(raw);
    if (!parsed.success) return;
    const m = parsed.data;
    if (m.type === "ready") client.ready = true;
    else if (m.type === "stats") client.stats = m;
    else if (m.type === "seen") this.seen.push(m);
    else if (m.type === "fatal") client.fatal = m.error;
  }

  private async stopClients(): Promise<void> {
    await Promise.all(
      this.clients.map(async (c) => {
        if (c.child.exitCode !== null || !c.child.connected) return;
        const exited = new Promise((done) => c.child.once("exit", done));
        c.child.send({ type: "stop" } satisfies { type: "stop" });
        await Promise.race([exited, sleep(15_000)]);
        await stopChild(c.child, 2000);
      }),
    );
    const failed = this.clients.find((c) => c.fatal);
    if (failed) throw new Error(`client ${failed.name} failed: ${failed.fatal}`);
  }

  /** SIGTERM and wait; a gateway that has not exited after 20 s (a healthy one needs < 1 s) is killed, and the report says so. */
  private async stopGateway(): Promise<string> {
    const started = now();
    const killed = await stopChild(this.gateway, 20_000);
    const ms = (now() - started).toFixed(0);
    if (!killed) return `gateway stopped in ${ms} ms`;
    const tail = this.gatewayOutput.trim().split("\n").slice(-3).join(" / ");
    return `the gateway did not exit within ${ms} ms of SIGTERM and was killed; its last output: ${tail}`;
  }

  /** Stops every process this run started (by PID) and removes the temporary folder. Safe to call twice. */
  async cleanup(): Promise<void> {
    process.removeListener("exit", this.exitHandler);
    await Promise.all(this.clients.map((c) => stopChild(c.child, 2000)));
    await stopChild(this.gateway, 10_000);
    await this.trap?.stop();
    await this.syslog?.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Last resort when the driver itself exits: SIGKILL every child still running. */
  private killAll(): void {
    for (const child of [...this.clients.map((c) => c.child), this.gateway])
      if (child?.pid && child.exitCode === null) child.kill("SIGKILL");
    for (const pid of [this.trap?.pid, this.syslog?.pid])
      if (pid)
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // already gone
        }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function plantYaml(
  o: PlantOptions,
  strings: { id: number; blocks: number }[],
  ports: Record<string, number>,
  storage: string,
): string {
  const lines = ["site: { name: Whole plant, location: bench, contact: bench@example.com }", "buses:"];
  for (let b = 1; b <= o.buses; b++)
    lines.push(
      `  - { id: bus${b}, transport: { type: simulated, baudRate: 115200 }, timing: { timeout: 300ms, retries: 2, pollInterval: 0ms } }`,
    );
  lines.push("strings:");
  strings.forEach((s, m) => {
    lines.push(
      `  - { id: ${s.id}, bus: bus${(m % o.buses) + 1}, blocks: ${s.blocks}, nominalBlockVoltage: 2, capacityAh: 1000, probes: { profile: string-master, address: ${Math.floor(m / o.buses) + 1} } }`,
    );
  });
  lines.push(
    "simulator: { enabled: true, pacing: true, seed: 11 }",
    // No raise/clear delay: the latency measured is the gateway's, not a configured wait. One alarm per push.
    "alarms: { raiseDelay: 0, clearDelay: 0, rules: { block-voltage-high: { enabled: false } } }",
    "protocols:",
    `  modbus: { enabled: true, host: 127.0.0.1, port: ${ports.modbus} }`,
    `  snmp: { enabled: true, host: 127.0.0.1, port: ${ports.snmp}, communities: [{ name: ${COMMUNITY} }], receivers: [{ kind: v2c-trap, host: 127.0.0.1, port: ${ports.trap}, community: ${TRAP_COMMUNITY} }] }`,
    `  bacnet: { enabled: true, host: 127.0.0.1, port: ${ports.bacnet}, deviceInstance: 1001, cov: { maxSubscriptions: 20000 } }`,
    `  ssh: { enabled: true, host: 127.0.0.1, port: ${ports.ssh}, maxSessions: ${o.sshSessions + 2} }`,
    // Hook: the web adapter (src/protocols/http) serves /api/live once it is registered; until then this is unused.
    `  http: { enabled: ${o.webClients > 0}, host: 127.0.0.1, port: ${ports.http}, maxLiveClients: ${o.webClients + 5} }`,
    "notifications:",
    `  syslog: [{ name: plant-rsyslog, transport: tcp, host: 127.0.0.1, port: ${ports.syslog}, facility: local0 }]`,
    `storage: { path: ${storage} }`,
    "logging: { level: info, summaryInterval: 0 }",
  );
  return `${lines.join("\n")}\n`;
}

function summary(values: number[]) {
  return {
    p50: percentile(values, 50),
    p99: percentile(values, 99),
    max: values.length ? Math.max(...values) : Number.NaN,
    samples: values.length,
  };
}

function sweepFigures(start: readonly BusSweepTotals[], end: readonly BusSweepTotals[]) {
  return end.map((e) => {
    const s = start.find((x) => x.bus === e.bus);
    const sweeps = e.sweeps - (s?.sweeps ?? 0);
    return {
      bus: e.bus,
      meanMs: sweeps > 0 ? (e.totalMs - (s?.totalMs ?? 0)) / sweeps : e.lastMs,
      lastMs: e.lastMs,
      sweeps,
      failedDevices: e.lastFailedDevices,
    };
  });
}

function protocolFigures(c: Client, start: StatsMessage | undefined, ms: number): ProtocolFigures {
  const s = c.stats;
  const requests = (s?.requests ?? 0) - (start?.requests ?? 0);
  const extra: Record<string, number> = {};
  for (const [k, v] of Object.entries(s?.extra ?? {})) extra[k] = v - (start?.extra[k] ?? 0);
  return {
    protocol: c.name,
    requests,
    totalRequests: s?.requests ?? 0,
    errors: s?.errors ?? 0,
    perSecond: requests / (ms / 1000),
    errorSamples: s?.errorSamples ?? [],
    extra,
  };
}

/** Growth of the mean of the last tenth of samples over the mean of the first tenth, in percent. */
function growth(values: number[]): number {
  const n = Math.max(1, Math.floor(values.length / 10));
  const mean = (list: number[]) => list.reduce((a, b) => a + b, 0) / list.length;
  return (mean(values.slice(-n)) / mean(values.slice(0, n)) - 1) * 100;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      done(true);
    });
    socket.once("error", () => done(false));
  });
}

export const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);
const ms = (v: number) => (Number.isFinite(v) ? v.toFixed(v < 10 ? 1 : 0) : "n/a");

/** The report as printed by the bench and the test. */
export function formatReport(r: PlantReport): string {
  const out: string[] = [];
  out.push(
    `whole plant: ${r.blocks} blocks, ${r.strings} string masters on ${r.buses} buses, ${r.alarms} alarms over ${(r.measuredMs / 1000).toFixed(0)} s`,
  );
  out.push(
    `start-up to all listeners ready: ${ms(r.startupMs)} ms (startGateway ${r.startGatewayMs ?? "n/a"} ms); first full sweep at ${ms(r.firstSweepMs)} ms`,
  );
  out.push(
    `sweep per bus (mean / last): ${r.sweeps.map((s) => `${s.bus} ${ms(s.meanMs)}/${ms(s.lastMs)} ms`).join(", ")}`,
  );
  out.push(
    `RSS MB: start ${mb(r.rss.start)}, after warm-up ${mb(r.rss.afterWarmup)}, peak ${mb(r.rss.peak)}${r.rss.highWaterMark ? ` (VmHWM ${mb(r.rss.highWaterMark)})` : ""}, end ${mb(r.rss.end)}${r.rssGrowthPercent !== undefined ? `; soak growth ${r.rssGrowthPercent.toFixed(1)} %` : ""}`,
  );
  const m = r.memoryAtEnd;
  out.push(
    `memory at end MB: heap used ${mb(m.heapUsed)} of ${mb(m.heapTotal)}, external ${mb(m.external)} (array buffers ${mb(m.arrayBuffers)}), rest of RSS ${mb(m.rss - m.heapTotal - m.external)}`,
  );
  out.push(`gateway CPU: ${r.cpuPercent.toFixed(0)} % of one core`);
  out.push(
    `event-loop delay: p50 ${ms(r.eventLoop.p50)} ms, p99 ${ms(r.eventLoop.p99)} ms, max ${ms(r.eventLoop.max)} ms`,
  );
  out.push("protocol  requests (window/total)   req/s   errors  details");
  for (const p of r.protocols)
    out.push(
      `${p.protocol.padEnd(9)} ${`${p.requests}/${p.totalRequests}`.padStart(24)} ${p.perSecond.toFixed(1).padStart(7)} ${String(p.errors).padStart(8)}  ${Object.entries(
        p.extra,
      )
        .map(([k, v]) => `${k}=${v}`)
        .join(" ")}${p.errorSamples.length ? ` errors: ${p.errorSamples.join(" | ")}` : ""}`,
    );
  out.push("alarm latency ms     raise p50    p99    max   clear p50    p99  missing dup unexpected (observers)");
  for (const d of r.destinations)
    out.push(
      `${d.destination.padEnd(20)} ${ms(d.raiseLatency.p50).padStart(6)} ${ms(d.raiseLatency.p99).padStart(6)} ${ms(d.raiseLatency.max).padStart(6)} ${ms(d.clearLatency.p50).padStart(11)} ${ms(d.clearLatency.p99).padStart(6)} ${String(d.missing).padStart(8)} ${String(d.duplicates).padStart(3)} ${String(d.unexpected).padStart(10)} (${d.observers})`,
    );
  for (const u of r.unavailable) out.push(`not measured — ${u}`);
  const counters = r.health
    .filter((h) => Object.keys(h.counters).length > 0)
    .map(
      (h) =>
        `${h.component}: ${Object.entries(h.counters)
          .map(([k, v]) => `${k}=${v}`)
          .join(" ")}`,
    );
  out.push(`gateway health counters: ${counters.join("; ")}`);
  for (const note of r.notes) out.push(note);
  return out.join("\n");
}
