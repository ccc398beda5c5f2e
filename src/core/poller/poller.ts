import type { Logger } from "pino";
import { eventByName } from "../alarms/catalogue.js";
import type { BusConfig } from "../config/core-schema.js";
import type { EventRecord } from "../events.js";
import { type ModelStore, Q_COMM_LOST, Q_FAULT, Q_GOOD } from "../model.js";
import { type PointDefinition, type PointId, pointById } from "../points.js";
import { type CommandName, DeviceStatusBits, decodeField } from "../profiles/index.js";
import type { DeviceInfo, PlantTopology } from "../topology.js";
import { type BusEndpoint, BusMaster, type BusStatistics } from "./bus-master.js";
import { compareWithTopology, type DiscoveryReport, scanBus } from "./discovery.js";
import { coalesce, type PlacedField, placeFields, type ReadRange } from "./read-plan.js";

export interface SweepReport {
  readonly bus: string;
  readonly durationMs: number;
  readonly transactions: number;
  readonly failedDevices: number;
}

/** A field that feeds a catalogue point, resolved once: where it lives and which model row it writes. */
interface PointField {
  readonly placed: PlacedField;
  readonly point: PointDefinition;
  readonly row: number;
}

interface DevicePlan {
  readonly device: DeviceInfo;
  readonly ranges: readonly ReadRange[];
  readonly points: readonly PointField[];
  readonly statusFields: readonly PlacedField[];
  /** Register image of the latest poll, indexed from `base`; reused across polls. */
  readonly words: Uint16Array;
  readonly base: number;
  needsIdentity: boolean;
  /** performance.now() of the last identity read. */
  identityCheckedAt: number;
}

export interface PollerOptions {
  readonly topology: PlantTopology;
  readonly buses: readonly BusConfig[];
  readonly store: ModelStore;
  /** Resolves where each bus is reached (the simulator's port for simulated buses). */
  readonly endpoint: (bus: BusConfig) => BusEndpoint;
  readonly emit: (record: EventRecord) => void;
  readonly onSweep: (report: SweepReport) => void;
  /** Called after each device was read (or failed), so the runtime can commit without waiting for the sweep's end. */
  readonly onDevice?: () => void;
  readonly log: Logger;
}

function event(name: Parameters<typeof eventByName>[0], text: string, extra: Partial<EventRecord> = {}): EventRecord {
  const def = eventByName(name);
  return {
    seq: 0,
    time: Date.now(),
    kind: "event",
    eventId: def.eventId,
    name: def.name,
    severity: def.severity,
    text,
    ...extra,
  };
}

/**
 * Polls every bus: one Modbus RTU master per bus, buses in parallel, devices in address order, reads coalesced into
 * the fewest transactions. Tracks each device's communication and identity and writes values with their quality.
 */
export class Poller {
  private readonly masters = new Map<string, BusMaster>();
  private readonly plans = new Map<string, DevicePlan[]>();
  private readonly lastSweep = new Map<string, SweepReport>();
  private running = false;
  private loops: Promise<void>[] = [];
  private readonly wake = new Map<string, () => void>();

  constructor(private readonly options: PollerOptions) {}

  /** Builds the read plans; no I/O. */
  private plan(): void {
    const { topology } = this.options;
    for (const bus of this.options.buses) this.plans.set(bus.id, []);
    for (const device of topology.devices) {
      const blockCount = device.role.kind === "blocks" ? device.role.blockCount : 0;
      const fields = placeFields(device.profile, blockCount);
      const ranges = coalesce(fields);
      const base = ranges[0]?.start ?? 0;
      const last = ranges[ranges.length - 1];
      const points: PointField[] = [];
      for (const placed of fields) {
        const point = placed.field.point ? pointById(placed.field.point) : undefined;
        if (point) points.push({ placed, point, row: this.rowOf(device, placed) });
      }
      this.plans.get(device.bus)?.push({
        device,
        ranges,
        points,
        statusFields: fields.filter((f) => f.field.status),
        words: new Uint16Array(last ? last.start + last.count - base : 0),
        base,
        needsIdentity: true,
        identityCheckedAt: 0,
      });
    }
    for (const list of this.plans.values()) list.sort((a, b) => a.device.address - b.device.address);
  }

  private rowOf(device: DeviceInfo, placed: PlacedField): number {
    const point = pointById(placed.field.point ?? "");
    const role = device.role;
    if (!point || point.scope === "system") return 0;
    if (point.scope === "string") return role.kind === "environment" ? 0 : role.stringIndex;
    if (role.kind !== "blocks") return 0;
    const s = this.options.topology.strings[role.stringIndex];
    return (s?.firstBlockRow ?? 0) + role.firstBlock - 1 + Math.max(placed.block, 1) - 1;
  }

  start(): void {
    if (this.running) return;
    this.plan();
    this.running = true;
    for (const bus of this.options.buses) {
      const master = new BusMaster(bus, this.options.endpoint(bus));
      this.masters.set(bus.id, master);
      this.loops.push(this.loop(bus, master));
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const wake of this.wake.values()) wake();
    await Promise.all([...this.masters.values()].map((m) => m.close()));
    await Promise.allSettled(this.loops);
  }

  statistics(bus: string): { stats: BusStatistics; lastSweep?: SweepReport } | undefined {
    const master = this.masters.get(bus);
    if (!master) return undefined;
    const lastSweep = this.lastSweep.get(bus);
    return { stats: master.stats, ...(lastSweep ? { lastSweep } : {}) };
  }

  /**
   * Scans `addresses` of a running bus for devices through its own master, so the scan takes turns with polling
   * instead of fighting it for the line; undefined when the bus is not polled.
   */
  async discover(busId: string, addresses: readonly number[]): Promise<DiscoveryReport | undefined> {
    const master = this.masters.get(busId);
    if (!master) return undefined;
    const found = await scanBus(master, addresses);
    return compareWithTopology(busId, addresses, found, this.options.topology);
  }

  private async loop(bus: BusConfig, master: BusMaster): Promise<void> {
    const plans = this.plans.get(bus.id) ?? [];
    while (this.running) {
      const started = performance.now();
      const before = master.stats.transactions;
      let failed = 0;
      for (const plan of plans) {
        if (!this.running) return;
        if (!(await this.pollDevice(master, plan, bus))) failed++;
        this.options.onDevice?.();
      }
      const report: SweepReport = {
        bus: bus.id,
        durationMs: performance.now() - started,
        transactions: master.stats.transactions - before,
        failedDevices: failed,
      };
      this.lastSweep.set(bus.id, report);
      try {
        this.options.onSweep(report);
      } catch (error) {
        this.options.log.error({ err: error, bus: bus.id }, "sweep listener failed");
      }
      const rest = bus.timing.pollInterval - (performance.now() - started);
      if (rest > 0 && this.running) await new Promise<void>((r) => this.sleep(bus.id, rest, r));
    }
  }

  private sleep(bus: string, ms: number, resolve: () => void): void {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      resolve();
    }
    this.wake.set(bus, done);
  }

  /** Reads one device; returns false when it did not answer. */
  private async pollDevice(master: BusMaster, plan: DevicePlan, bus: BusConfig): Promise<boolean> {
    const { store } = this.options;
    const { device } = plan;
    try {
      const identityDue = performance.now() - plan.identityCheckedAt >= bus.timing.identityCheck;
      if ((plan.needsIdentity || identityDue) && !(await this.checkIdentity(master, plan))) return true;
      for (const range of plan.ranges) {
        const data = await master.readRegisters(device.address, range.start, range.count);
        plan.words.set(data.slice(0, range.count), range.start - plan.base);
      }
      this.apply(plan);
      const state = store.device(device.index);
      if (state.comm === "comm-lost")
        this.options.emit(
          event("device-comm-restored", `${describe(device)} answers again`, this.where(device, { bus: bus.id })),
        );
      store.updateDevice(device.index, {
        comm: "ok",
        lastOk: Date.now(),
        consecutiveFailures: 0,
        transactions: state.transactions + plan.ranges.length,
      });
      return true;
    } catch (error) {
      const state = store.device(device.index);
      const consecutive = state.consecutiveFailures + 1;
      store.updateDevice(device.index, {
        consecutiveFailures: consecutive,
        failures: state.failures + 1,
        note: (error as Error).message,
      });
      if (consecutive >= bus.timing.commLossAfter && state.comm !== "comm-lost") {
        store.updateDevice(device.index, { comm: "comm-lost" });
        const now = Date.now();
        for (const t of plan.points)
          store.write(t.point.id as PointId, t.row, store.read(t.point.id as PointId, t.row), Q_COMM_LOST, now);
        plan.needsIdentity = true;
        this.options.log.warn({ bus: bus.id, address: device.address }, `${describe(device)} stopped answering`);
        this.options.emit(
          event(
            "device-comm-lost",
            `${describe(device)} stopped answering after ${consecutive} polls`,
            this.where(device, { bus: bus.id }),
          ),
        );
      }
      return false;
    }
  }

  private async checkIdentity(master: BusMaster, plan: DevicePlan): Promise<boolean> {
    const { device } = plan;
    const { store } = this.options;
    const id = device.profile.identity;
    const count = Math.max(id.type, id.serial + 1, id.firmware, id.blockCount ?? 0) + 1;
    const w = await master.readRegisters(device.address, 0, count);
    plan.identityCheckedAt = performance.now();
    const before = store.device(device.index);
    const typeCode = w[id.type] ?? 0;
    const serial = String((w[id.serial] ?? 0) * 0x10000 + (w[id.serial + 1] ?? 0));
    const fw = w[id.firmware] ?? 0;
    const firmware = `${fw >> 8}.${fw & 0xff}`;
    if (typeCode !== device.profile.typeCode) {
      const note = `type 0x${typeCode.toString(16).padStart(4, "0")} answers where ${device.profile.id} (0x${device.profile.typeCode.toString(16).padStart(4, "0")}) is configured`;
      if (store.device(device.index).comm !== "wrong-device") {
        this.options.emit(event("device-identity-mismatch", `${describe(device)}: ${note}`, this.where(device)));
        this.options.log.warn({ address: device.address }, note);
      }
      store.updateDevice(device.index, { comm: "wrong-device", typeCode, serial, firmware, note });
      const now = Date.now();
      for (const t of plan.points) store.write(t.point.id as PointId, t.row, Number.NaN, Q_FAULT, now);
      return false;
    }
    let note: string | undefined;
    // Reported once per change, not at every periodic re-check.
    const changed = before.serial !== serial || before.comm === "wrong-device";
    if (device.expectedSerial && device.expectedSerial !== serial) {
      note = `serial ${serial} where ${device.expectedSerial} was commissioned`;
      if (changed)
        this.options.emit(event("device-identity-mismatch", `${describe(device)}: ${note}`, this.where(device)));
    } else if (before.serial !== undefined && before.serial !== serial) {
      note = `serial changed from ${before.serial} to ${serial}: another unit answers (probe replaced?)`;
      this.options.emit(event("device-identity-mismatch", `${describe(device)}: ${note}`, this.where(device)));
    }
    store.updateDevice(device.index, { typeCode, serial, firmware, ...(note ? { note } : {}) });
    plan.needsIdentity = false;
    return true;
  }

  private apply(plan: DevicePlan): void {
    const { store } = this.options;
    const now = Date.now();
    const { words, base } = plan;
    // Status words first: a sensor-fault bit marks that block's (or the whole device's) values as fault.
    let faulty: Set<number> | undefined;
    for (const f of plan.statusFields) {
      if (((words[f.address - base] ?? 0) & DeviceStatusBits.sensorFault) === 0) continue;
      faulty ??= new Set();
      faulty.add(f.block);
    }
    const deviceFault = faulty?.has(0) ?? false;
    for (const { placed, point, row } of plan.points) {
      const value = decodeField(placed.field, words, placed.address - base);
      const plausible = value >= point.range[0] && value <= point.range[1];
      const quality = deviceFault || faulty?.has(placed.block) || !plausible ? Q_FAULT : Q_GOOD;
      store.write(point.id as PointId, row, value, quality, now);
    }
  }

  private where(device: DeviceInfo, detail: Record<string, string> = {}): Partial<EventRecord> {
    const role = device.role;
    const s = role.kind === "environment" ? undefined : this.options.topology.strings[role.stringIndex];
    return {
      ...(s ? { stringId: s.id } : {}),
      ...(role.kind === "blocks" && role.blockCount === 1 ? { block: role.firstBlock } : {}),
      detail: { address: String(device.address), profile: device.profile.id, ...detail },
    };
  }

  /**
   * Sends a command to the device that owns `block` of string `stringIndex` (or the string's device for
   * string-level commands). Returns the number of devices written.
   */
  async command(
    name: CommandName,
    stringIndex: number,
    value: number | boolean,
    block?: number,
  ): Promise<{ written: number; errors: string[] }> {
    const errors: string[] = [];
    let written = 0;
    for (const device of this.options.topology.devices) {
      const role = device.role;
      if (role.kind === "environment" || role.stringIndex !== stringIndex) continue;
      const def = device.profile.commands[name];
      if (!def) continue;
      if (block !== undefined && role.kind === "blocks") {
        if (block < role.firstBlock || block >= role.firstBlock + role.blockCount) continue;
      }
      const master = this.masters.get(device.bus);
      if (!master) continue;
      const address =
        def.perBlock && block !== undefined && role.kind === "blocks"
          ? def.address + block - role.firstBlock
          : def.address;
      try {
        if (def.kind === "coil") await master.writeCoil(device.address, address, Boolean(value));
        else await master.writeRegister(device.address, address, Number(value));
        written++;
      } catch (error) {
        errors.push(`${describe(device)}: ${(error as Error).message}`);
      }
    }
    return { written, errors };
  }
}

export function describe(device: DeviceInfo): string {
  return `${device.profile.id} at ${device.bus}/${device.address}`;
}
