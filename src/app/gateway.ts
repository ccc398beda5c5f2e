import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import type { Logger } from "pino";
import { createAuthService } from "../auth/index.js";
import type {
  AdapterContext,
  AuthService,
  CoreServiceApis,
  HealthReport,
  ModelReader,
  Principal,
} from "../core/adapter.js";
import { EventBus } from "../core/event-bus.js";
import type { EventRecord } from "../core/events.js";
import { ModelStore, type PlantSnapshot, stringAggregates } from "../core/model.js";
import type { BusEndpoint } from "../core/poller/bus-master.js";
import { Poller } from "../core/poller/poller.js";
import type { ServiceContext } from "../core/service.js";
import { buildTopology, type PlantTopology } from "../core/topology.js";
import { SimControlError, type Simulator, startSimulator } from "../sim/index.js";
import { auditEvent, CommandRouter } from "./commands.js";
import { ConfigEditor } from "./config-editor.js";
import type { GatewayConfig } from "./config-schema.js";
import { startControlServer } from "./control-server.js";
import { Diagnostics } from "./diagnostics.js";
import { HealthRegistry } from "./health.js";
import { createLogger } from "./logger.js";
import { ADAPTERS, type AdapterEntry, SERVICES, type ServiceEntry } from "./registry.js";

export interface GatewayOptions {
  readonly config: GatewayConfig;
  /** The file the config came from; commands that change settings write it back. */
  readonly configFile?: string;
  readonly log?: Logger;
  readonly adapters?: readonly AdapterEntry[];
  readonly services?: readonly ServiceEntry[];
  /** Replaces the auth chain (tests). */
  readonly auth?: AuthService;
  /** Listen on the local control socket (bmsgw sim …). Default true. */
  readonly controlSocket?: boolean;
}

export interface Gateway {
  readonly config: GatewayConfig;
  readonly topology: PlantTopology;
  readonly store: ModelStore;
  readonly bus: EventBus;
  readonly model: ModelReader;
  readonly commands: CommandRouter;
  readonly auth: AuthService;
  readonly poller: Poller;
  readonly simulator?: Simulator;
  readonly log: Logger;
  readonly storagePath: string;
  /** Query interfaces of the core services: event log, history. */
  readonly services: CoreServiceApis;
  health(): HealthReport[];
  /** Every address a listener announced, e.g. `tcp://127.0.0.1:1502`. */
  listeners(): string[];
  /** Resolves with the first snapshot that satisfies `predicate` (tests, CLI waits). */
  waitFor(predicate: (s: PlantSnapshot) => boolean, timeoutMs?: number): Promise<PlantSnapshot>;
  stop(): Promise<void>;
}

/** Least time between two commits driven by device reads. */
const COMMIT_INTERVAL_MS = 50;
/** How long stop waits for services to put outputs back before tearing everything down. */
const STOP_HOOKS_TIMEOUT_MS = 10_000;

/** The gateway itself acts under this principal for scheduled work. */
export const SYSTEM_PRINCIPAL: Principal = { user: "system", roles: ["admin"], source: "gateway" };

/**
 * Starts the whole gateway: model, core services, simulator (when enabled), poller, protocol adapters.
 * A failing adapter is reported down and the rest go on; `stop()` undoes everything in reverse order.
 */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const { config } = options;
  const log = options.log ?? createLogger(config.logging.level);
  const storagePath = resolve(config.storage.path);
  mkdirSync(storagePath, { recursive: true });
  const topology = buildTopology(config);
  const store = new ModelStore(topology);
  store.addDeriver(stringAggregates);
  const bus = new EventBus((event, error) =>
    log.error({ err: error, event }, "a listener failed; the others still ran"),
  );
  const health = new HealthRegistry((component, state, text) => bus.emit("health", component, state, text));
  const abort = new AbortController();
  const cleanups: (() => void | Promise<void>)[] = [];
  const defer = (fn: () => void | Promise<void>) => void cleanups.push(fn);
  const stopHooks: (() => Promise<void>)[] = [];

  // Events raised while a commit is in progress are delivered right after its snapshot.
  let committing = false;
  const queued: EventRecord[] = [];
  const emit = (record: EventRecord) => {
    if (committing) queued.push(record);
    else bus.emit("event", record);
  };
  const commit = () => {
    lastCommit = performance.now();
    committing = true;
    let result: ReturnType<ModelStore["commit"]>;
    try {
      result = store.commit();
    } finally {
      committing = false;
    }
    if (result) bus.emit("snapshot", result.snapshot, result.delta);
    for (const record of queued.splice(0)) bus.emit("event", record);
  };
  let commitTimer: NodeJS.Timeout | undefined;
  let lastCommit = 0;
  /** Commits within `withinMs` of the last commit; requests in between are coalesced into one. */
  const commitWithin = (withinMs: number) => {
    commitTimer ??= setTimeout(
      () => {
        commitTimer = undefined;
        commit();
      },
      Math.max(0, lastCommit + withinMs - performance.now()),
    );
  };
  const requestCommit = () => commitWithin(0);
  defer(() => clearTimeout(commitTimer));

  const auth =
    options.auth ??
    (await createAuthService({
      config: config.auth,
      storagePath,
      log: log.child({ component: "auth" }),
      audit: (record) => emit(auditEvent(record)),
    }));
  const commands = new CommandRouter(auth, emit);
  const model: ModelReader = { current: () => store.snapshot() };
  const serviceEntries = options.services ?? SERVICES;
  const adapterEntries = options.adapters ?? ADAPTERS;
  const editor = new ConfigEditor({
    config,
    ...(options.configFile ? { file: options.configFile } : {}),
    commands,
    log: log.child({ component: "config" }),
    components: [
      ...serviceEntries.map((e) => ({ name: e.service.name, section: e.section })),
      ...adapterEntries.map((e) => ({ name: e.adapter.name, section: e.section })),
    ],
  });
  commands.handle("config-set", (request, principal) => editor.set(principal, request.path, request.value));

  const stop = async () => {
    // While everything still runs: services put back what they switched (equalization bypasses off).
    const hooks = Promise.allSettled(
      stopHooks
        .splice(0)
        .map((hook) => hook().catch((error) => log.error({ err: error }, "a stop hook failed; stopping anyway"))),
    );
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<"timeout">((done) => {
      timer = setTimeout(() => done("timeout"), STOP_HOOKS_TIMEOUT_MS);
    });
    if ((await Promise.race([hooks, bound])) === "timeout")
      log.warn(`stop hooks still running after ${STOP_HOOKS_TIMEOUT_MS / 1000} s; stopping anyway`);
    clearTimeout(timer);
    abort.abort();
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch (error) {
        log.error({ err: error }, "cleanup failed during stop");
      }
    }
  };

  const services: { -readonly [K in keyof CoreServiceApis]: CoreServiceApis[K] } = {
    settings: editor,
    health: () => health.all(),
  };
  try {
    for (const entry of serviceEntries) {
      const name = entry.service.name;
      const ctx: ServiceContext<never> = {
        config: entry.section(config) as never,
        store,
        bus,
        emit,
        requestCommit,
        commands,
        log: log.child({ component: name }),
        health: health.reporter(name),
        signal: abort.signal,
        defer,
        storagePath,
        provide: (apis) => Object.assign(services, apis),
        services,
        onConfigChange: (listener) =>
          editor.onChange({ name, section: entry.section, apply: (section) => listener(section as never) }),
        beforeStop: (hook) => void stopHooks.push(hook),
      };
      await entry.service.start(ctx);
    }

    let simulator: Simulator | undefined;
    if (config.simulator.enabled) {
      const simLog = log.child({ component: "simulator" });
      simulator = await startSimulator({
        topology,
        buses: config.buses,
        config: config.simulator,
        log: simLog,
        exposure: "loopback",
      });
      const sim = simulator;
      defer(() => sim.stop());
      const simHealth = health.reporter("simulator");
      for (const a of sim.attachments)
        simHealth.listening(a.kind === "tcp" ? `rtu-tcp://${a.host}:${a.port} (${a.bus})` : a.path);
      simHealth.set("ok", `${topology.devices.length} devices on ${config.buses.length} buses`);
      commands.handle("sim", async (request) => {
        try {
          return { ok: true, message: sim.control.execute(request.args) };
        } catch (error) {
          if (error instanceof SimControlError) return { ok: false, error: error.message, code: "E_SIM_USAGE" };
          throw error;
        }
      });
    }

    const endpoint = (busId: string): BusEndpoint => {
      const busConfig = config.buses.find((b) => b.id === busId);
      const t = busConfig?.transport;
      if (!t) throw new Error(`unknown bus ${busId}`);
      if (t.type === "serial")
        return {
          type: "serial",
          path: t.path,
          baudRate: t.baudRate,
          parity: t.parity,
          stopBits: t.stopBits,
          dataBits: t.dataBits,
        };
      if (t.type === "rtu-tcp") return { type: "tcp", host: t.host, port: t.port };
      const attached = simulator?.attachments.find((a) => a.bus === busId);
      if (attached?.kind !== "tcp") throw new Error(`simulated bus ${busId} has no simulator endpoint`);
      return { type: "tcp", host: attached.host, port: attached.port };
    };
    const pollerHealth = health.reporter("poller");
    const diagnostics = new Diagnostics();
    const poller = new Poller({
      topology,
      buses: config.buses,
      store,
      endpoint: (b) => endpoint(b.id),
      emit,
      // A reading reaches alarms and every protocol within ~50 ms of its device's poll, not at the end of the sweep:
      // alarm latency stays within one sweep plus processing (bench/plant) at a few commits per second.
      onDevice: () => commitWithin(COMMIT_INTERVAL_MS),
      onSweep: (report) => {
        diagnostics.recordSweep(report);
        pollerHealth.count("sweeps");
        pollerHealth.set(
          report.failedDevices > 0 ? "degraded" : "ok",
          report.failedDevices > 0 ? `${report.failedDevices} device(s) not answering on ${report.bus}` : "",
        );
        commit();
      },
      log: log.child({ component: "poller" }),
    });
    registerPollerCommands(commands, poller, topology);

    const gatewayPartial = { config, topology, store, bus, model, commands, auth, poller, log, storagePath, services };
    for (const entry of adapterEntries) {
      const section = entry.section(config);
      const name = entry.adapter.name;
      if (!section.enabled) continue;
      const reporter = health.reporter(name);
      const ctx: AdapterContext<never> = {
        config: section as never,
        model,
        changes: bus,
        auth,
        commands,
        services,
        log: log.child({ component: name }),
        health: reporter,
        signal: abort.signal,
        defer,
        storagePath,
      };
      try {
        await entry.adapter.start(ctx);
        reporter.set("ok");
      } catch (error) {
        reporter.set("down", (error as Error).message);
        log.error({ err: error, component: name }, `${name} failed to start; the other interfaces go on`);
      }
    }

    if (options.controlSocket !== false) {
      const server = await startControlServer({
        storagePath,
        commands,
        model,
        health: () => health.all(),
        diagnostics: (reset) => diagnostics.read(reset),
        log: log.child({ component: "control" }),
      });
      defer(() => new Promise<void>((done) => server.close(() => done())));
    }

    // Polling starts last, so every adapter and whoever awaits startGateway sees the first sweep's events.
    poller.start();
    defer(() => poller.stop());

    return {
      ...gatewayPartial,
      ...(simulator ? { simulator } : {}),
      health: () => health.all(),
      listeners: () => health.all().flatMap((h) => h.listeners),
      waitFor: (predicate, timeoutMs = 10_000) => waitForSnapshot(bus, store, predicate, timeoutMs),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

function registerPollerCommands(commands: CommandRouter, poller: Poller, topology: PlantTopology): void {
  const strings = (stringId?: number) => {
    const list = stringId === undefined ? topology.strings : topology.strings.filter((s) => s.id === stringId);
    if (list.length === 0) throw new Error(`no string ${stringId}`);
    return list;
  };
  const summarize = (what: string, results: { written: number; errors: string[] }[]) => {
    const written = results.reduce((n, r) => n + r.written, 0);
    const errors = results.flatMap((r) => r.errors);
    if (written === 0 && errors.length > 0) return { ok: false as const, error: errors.join("; "), code: "E_DEVICE" };
    return {
      ok: true as const,
      message: `${what}: ${written} device write(s)${errors.length ? `, ${errors.length} failed` : ""}`,
    };
  };
  commands.handle("equalize", async (r) => {
    const targets = strings(r.stringId);
    const results = [];
    for (const s of targets) {
      const blocks = r.block !== undefined ? [r.block] : Array.from({ length: s.blockCount }, (_, i) => i + 1);
      for (const b of blocks) results.push(await poller.command("equalize", s.index, r.on ? 1 : 0, b));
    }
    return summarize(`equalize ${r.on ? "on" : "off"}`, results);
  });
  commands.handle("measure-resistance", async (r) => {
    const results = [];
    for (const s of strings(r.stringId)) results.push(await poller.command("measureResistance", s.index, 1));
    return summarize("resistance measurement started", results);
  });
  commands.handle("discover", async (r) => {
    const addresses =
      r.addresses ??
      [...new Set(topology.devices.filter((d) => d.bus === r.bus).map((d) => d.address))].sort((a, b) => a - b);
    const report = await poller.discover(r.bus, addresses);
    if (!report) return { ok: false, error: `no bus '${r.bus}' is polled here`, code: "E_DISCOVER_NO_BUS" };
    const mismatches =
      report.missing.length + report.extra.length + report.wrongType.length + report.wrongSerial.length;
    return {
      ok: true,
      message: `bus ${r.bus}: ${report.found.length} of ${report.scanned} addresses answered, ${mismatches} mismatch(es)`,
      data: report,
    };
  });
  commands.handle("output", async (r) => {
    const [s] = strings(r.stringId);
    if (!s) throw new Error(`no string ${r.stringId}`);
    const name = r.output === "load" ? "loadDisconnect" : "chargeDisconnect";
    return summarize(`${r.output} output ${r.closed ? "closed" : "open"}`, [
      await poller.command(name, s.index, r.closed),
    ]);
  });
}

function waitForSnapshot(
  bus: EventBus,
  store: ModelStore,
  predicate: (s: PlantSnapshot) => boolean,
  timeoutMs: number,
): Promise<PlantSnapshot> {
  const now = store.snapshot();
  if (predicate(now)) return Promise.resolve(now);
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      dispose();
      reject(new Error(`condition not met within ${timeoutMs} ms`));
    }, timeoutMs);
    const dispose = bus.on("snapshot", (snapshot) => {
      if (!predicate(snapshot)) return;
      clearTimeout(timer);
      dispose();
      resolvePromise(snapshot);
    });
  });
}
