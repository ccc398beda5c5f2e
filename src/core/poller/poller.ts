import type { Logger } from "pino";
import { eventByName } from "../alarms/catalogue.js";
import type { BusConfig } from "../config/core-schema.js";
import type { EventRecord } from "../events.js";
import { type ModelStore, Q_COMM_LOST, Q_FAULT, Q_GOOD } from "../model.js";
import { type PointId, pointById } from "../points.js";
import { type CommandName, DeviceStatusBits, decodeField } from "../profiles/index.js";
import type { DeviceInfo, PlantTopology } from "../topology.js";
import { type BusEndpoint, BusMaster, type BusStatistics } from "./bus-master.js";
import { coalesce, type PlacedField, placeFields, type ReadRange } from "./read-plan.js";

export interface SweepReport {
  readonly bus: string;
  readonly durationMs: number;
  readonly transactions: number;
  readonly failedDevices: number;
}

interface DevicePlan {
  readonly device: DeviceInfo;
  readonly fields: readonly PlacedField[];
  readonly ranges: readonly ReadRange[];
  /** Every (point, row) this device feeds, to mark them comm-lost together. */
  readonly targets: readonly { point: PointId; row: number }[];
  needsIdentity: boolean;
}

export interface PollerOptions {
  readonly topology: PlantTopology;
  readonly buses: readonly BusConfig[];
  readonly store: ModelStore;
  /** Resolves where each bus is reached (the simulator's port for simulated buses). */
  readonly endpoint: (bus: BusConfig) => BusEndpoint;
  readonly emit: (record: EventRecord) => void;
  readonly onSweep: (report: SweepReport) => void;
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
      const targets: { point: PointId; row: number }[] = [];
      for (const f of fields) if (f.field.point) targets.push({ point: f.field.point, row: this.rowOf(device, f) });
      this.plans.get(device.bus)?.push({ device, fields, ranges: coalesce(fields), targets, needsIdentity: true });
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

  private async loop(bus: BusConfig, master: BusMaster): Promise<void> {
    const plans = this.plans.get(bus.id) ?? [];
    while (this.running) {
      const started = performance.now();
      const before = master.stats.transactions;
      let failed = 0;
      for (const plan of plans) {
        if (!this.running) return;
        if (!(await this.pollDevice(master, plan, bus))) failed++;
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
      if (plan.needsIdentity && !(await this.checkIdentity(master, plan))) return true;
      const words = new Map<number, number>();
      for (const range of plan.ranges) {
        const data = await master.readRegisters(device.address, range.start, range.count);
        for (let i = 0; i < range.count; i++) words.set(range.start + i, data[i] ?? 0);
      }
      this.apply(plan, words);
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
        for (const t of plan.targets) store.write(t.point, t.row, store.read(t.point, t.row), Q_COMM_LOST, now);
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
      for (const t of plan.targets) store.write(t.point, t.row, Number.NaN, Q_FAULT, now);
      return false;
    }
    let note: string | undefined;
    if (device.expectedSerial && device.expectedSerial !== serial) {
      note = `serial ${serial} where ${device.expectedSerial} was commissioned`;
      this.options.emit(event("device-identity-mismatch", `${describe(device)}: ${note}`, this.where(device)));
    }
    store.updateDevice(device.index, { typeCode, serial, firmware, ...(note ? { note } : {}) });
    plan.needsIdentity = false;
    return true;
  }

  private apply(plan: DevicePlan, words: ReadonlyMap<number, number>): void {
    const { store } = this.options;
    const now = Date.now();
    const read = { length: 0 } as { length: number; [i: number]: number };
    // Status words first: a sensor-fault bit marks that block's (or device's) values as fault.
    const faulty = new Set<number>();
    for (const f of plan.fields)
      if (f.field.status && ((words.get(f.address) ?? 0) & DeviceStatusBits.sensorFault) !== 0) faulty.add(f.block);
    for (const f of plan.fields) {
      const pointId = f.field.point;
      if (!pointId) continue;
      read[0] = words.get(f.address) ?? 0;
      read[1] = words.get(f.address + 1) ?? 0;
      const value = decodeField(f.field, read, 0);
      const point = pointById(pointId);
      const plausible = point !== undefined && value >= point.range[0] && value <= point.range[1];
      const quality = faulty.has(f.block) || faulty.has(0) || !plausible ? Q_FAULT : Q_GOOD;
      store.write(pointId, this.rowOf(plan.device, f), value, quality, now);
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
