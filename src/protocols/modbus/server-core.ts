/**
 * Transport-independent heart of the Modbus server: picks the unit's register image (one snapshot per request),
 * answers reads through the shared PDU handler, and turns writes into gateway commands under the write policy.
 * The TCP server and the RTU slave both call `handle`.
 */

import type { Action, AdapterContext, CommandRequest, Principal } from "../../core/adapter.js";
import { addressMatcher } from "../../core/config/address-list.js";
import { handlePdu, ModbusError, ModbusException, type RegisterSpace } from "../../core/fieldbus/pdu.js";
import type { PlantSnapshot } from "../../core/model.js";
import type { StringInfo } from "../../core/topology.js";
import type { ModbusConfig } from "./config-schema.js";
import { EQUALIZATION_OFFSET, renderImage, type WordOrder } from "./image.js";
import { BLOCK_BASE, BLOCK_STRIDE, COMMAND_BASE, PLANT_UNITS } from "./mapping.js";

/** Where a request came from: a TCP peer address, or the serial line. */
export interface RequestOrigin {
  readonly transport: "tcp" | "rtu";
  /** Peer IP address (TCP) or the serial device path (RTU). */
  readonly remote: string;
}

type Context = Pick<AdapterContext<ModbusConfig>, "model" | "commands" | "auth" | "log" | "health">;

interface PlannedWrite {
  readonly address: number;
  readonly value: number;
  readonly request: CommandRequest;
  readonly action: Action;
}

export class ModbusServerCore {
  private readonly images = new Map<number, { snapshot: PlantSnapshot; words: Uint16Array }>();
  private readonly allowed: (address: string) => boolean;
  private readonly order: WordOrder;
  // Per-request state, set by handle() before the synchronous PDU handler runs.
  private image: Uint16Array = new Uint16Array(0);
  private string: StringInfo | null = null;
  private origin: RequestOrigin = { transport: "tcp", remote: "" };
  private unit = 0;
  private readonly space: RegisterSpace;

  constructor(
    private readonly ctx: Context,
    private readonly config: ModbusConfig,
  ) {
    this.allowed = addressMatcher(config.writes.allow);
    this.order = config.wordOrder;
    this.space = {
      readRegisters: (_kind, address, count) => {
        if (address + count > this.image.length) throw new ModbusError(ModbusException.illegalDataAddress);
        return this.image.subarray(address, address + count);
      },
      readBits: (kind, address, count) => this.readBits(kind, address, count),
      writeRegisters: (address, values) => this.write(address, values),
      writeCoils: (address, values) =>
        this.write(
          address,
          values.map((v) => (v ? 1 : 0)),
        ),
    };
  }

  /** Whether the unit id addresses something here: a string id, or a plant unit (TCP 0/255, RTU `rtu.unitId`). */
  unitKnown(unit: number, transport: "tcp" | "rtu"): boolean {
    return this.resolveUnit(unit, transport) !== undefined;
  }

  private resolveUnit(unit: number, transport: "tcp" | "rtu"): StringInfo | null | undefined {
    const strings = this.ctx.model.current().topology.strings;
    const s = strings.find((x) => x.id === unit);
    if (s && unit >= 1 && unit <= 247) return s;
    if (transport === "tcp" && PLANT_UNITS.includes(unit)) return null;
    if (transport === "rtu" && unit === this.config.rtu.unitId) return null;
    return undefined;
  }

  /**
   * Answers one request PDU for `unit`. Returns the reply PDU, or undefined when the unit is unknown and the
   * policy is to stay silent. Never throws.
   */
  handle(unit: number, pdu: Uint8Array, origin: RequestOrigin): Buffer | undefined {
    const string = this.resolveUnit(unit, origin.transport);
    if (string === undefined) {
      this.ctx.health.count("unknownUnit");
      if (origin.transport === "rtu" || this.config.unknownUnit === "ignore") return undefined;
      return Buffer.from([((pdu[0] ?? 0) | 0x80) & 0xff, ModbusException.gatewayTargetFailed]);
    }
    const snapshot = this.ctx.model.current();
    const key = string?.id ?? 0;
    let cached = this.images.get(key);
    if (cached?.snapshot !== snapshot) {
      cached = { snapshot, words: renderImage(snapshot, string, this.order) };
      this.images.set(key, cached);
    }
    this.image = cached.words;
    this.string = string;
    this.origin = origin;
    this.unit = unit;
    const reply = handlePdu(this.space, pdu);
    this.ctx.health.count((reply[0] ?? 0) & 0x80 ? "exceptions" : "requests");
    return reply;
  }

  private readBits(kind: "coil" | "discrete", address: number, count: number): boolean[] {
    if (address + count > this.image.length) throw new ModbusError(ModbusException.illegalDataAddress);
    const out: boolean[] = new Array(count);
    for (let i = 0; i < count; i++) {
      const a = address + i;
      if (kind === "coil") out[i] = this.isWritable(a) && this.image[a] === 1;
      else out[i] = (((this.image[this.alarmRegisterFor(a)] ?? 0) >> this.alarmBitOf(a)) & 1) === 1;
    }
    return out;
  }

  /** Discrete input A is bit (A − base) of the alarm register of the record at base (system 0, string 100, block). */
  private alarmRegisterFor(a: number): number {
    if (a < 16) return 14;
    if (a >= 100 && a < 116) return 102;
    if (a >= BLOCK_BASE) return BLOCK_BASE + BLOCK_STRIDE * Math.floor((a - BLOCK_BASE) / BLOCK_STRIDE) + 1;
    return -1;
  }

  private alarmBitOf(a: number): number {
    if (a < BLOCK_BASE) return a % 100;
    return (a - BLOCK_BASE) % BLOCK_STRIDE;
  }

  private isWritable(address: number): boolean {
    if (address === COMMAND_BASE || address === COMMAND_BASE + 10) return true;
    if (!this.string) return false;
    if (address === COMMAND_BASE + 11 || address === COMMAND_BASE + 12) return true;
    return (
      address >= BLOCK_BASE &&
      address < this.image.length &&
      (address - BLOCK_BASE) % BLOCK_STRIDE === EQUALIZATION_OFFSET
    );
  }

  private principal(): Principal {
    return { user: `modbus:${this.origin.remote}`, roles: [this.config.writes.role], source: "modbus" };
  }

  private writeAllowed(): boolean {
    const w = this.config.writes;
    if (!w.enabled) return false;
    if (this.origin.transport === "rtu") return w.serial;
    return this.allowed(this.origin.remote);
  }

  private audit(text: string, outcome: string, address: number, values: readonly number[]): void {
    this.ctx.commands.audit({
      name: "remote-write",
      user: this.principal().user,
      text,
      detail: {
        protocol: "modbus",
        transport: this.origin.transport,
        remote: this.origin.remote,
        unit: String(this.unit),
        address: String(address),
        values: values.slice(0, 16).join(","),
        outcome,
      },
    });
  }

  /** Validates every register of a write first, so a refused write changes nothing; then runs the commands. */
  private write(address: number, values: readonly number[]): void {
    this.ctx.health.count("writes");
    if (!this.writeAllowed()) {
      this.audit(
        `refused write to ${address}: writes are disabled or this source is not allowed`,
        "refused",
        address,
        values,
      );
      throw new ModbusError(ModbusException.illegalFunction);
    }
    const plans: PlannedWrite[] = [];
    values.forEach((value, i) => {
      const plan = this.plan(address + i, value);
      plans.push(plan);
    });
    const principal = this.principal();
    for (const p of plans)
      if (!this.ctx.auth.authorize(principal, p.action)) {
        this.audit(
          `refused write to ${p.address}: role ${this.config.writes.role} may not ${p.action}`,
          "forbidden",
          address,
          values,
        );
        throw new ModbusError(ModbusException.illegalFunction);
      }
    for (const p of plans) {
      // The reply does not wait for field-bus writes (a string has up to 1000 probes); the audit records the result.
      this.ctx.commands.run(principal, p.request).then(
        (result) =>
          this.audit(
            `write ${p.value} to ${p.address}: ${result.ok ? result.message : result.error}`,
            result.ok ? "ok" : "failed",
            p.address,
            [p.value],
          ),
        (error: unknown) =>
          this.audit(`write to ${p.address} failed: ${String(error)}`, "failed", p.address, [p.value]),
      );
    }
  }

  /** Maps one register write to a gateway command, or throws the exception the master gets. */
  private plan(address: number, value: number): PlannedWrite {
    const s = this.string;
    const bool = () => {
      if (value !== 0 && value !== 1) throw new ModbusError(ModbusException.illegalDataValue);
      return value === 1;
    };
    if (address === COMMAND_BASE) {
      if (value !== 1) throw new ModbusError(ModbusException.illegalDataValue);
      return { address, value, request: { kind: "alarm-ack", alarmId: "all" }, action: "alarm.acknowledge" };
    }
    if (address === COMMAND_BASE + 10) {
      const on = bool();
      return {
        address,
        value,
        request: s ? { kind: "equalize", on, stringId: s.id } : { kind: "equalize", on },
        action: "equalize",
      };
    }
    if (s && (address === COMMAND_BASE + 11 || address === COMMAND_BASE + 12)) {
      const closed = bool();
      const output = address === COMMAND_BASE + 11 ? "load" : "charge";
      return { address, value, request: { kind: "output", stringId: s.id, output, closed }, action: "output.override" };
    }
    if (s && this.isWritable(address) && address >= BLOCK_BASE) {
      const on = bool();
      const block = Math.floor((address - BLOCK_BASE) / BLOCK_STRIDE) + 1;
      return { address, value, request: { kind: "equalize", on, stringId: s.id, block }, action: "equalize" };
    }
    throw new ModbusError(ModbusException.illegalDataAddress);
  }
}
