/**
 * Transport-independent heart of the Modbus server: picks the unit's register image (one snapshot per request),
 * answers reads through the shared PDU handler, and turns writes into gateway commands under the write policy.
 * The TCP server and the RTU slave both call `handle`. FC08 (echo), FC23 (read/write) and FC43/14 (device
 * identification) are answered here, before the shared handler, which knows only the data-access functions.
 */

import type { Action, AdapterContext, CommandRequest, Principal } from "../../core/adapter.js";
import { addressMatcher } from "../../core/config/address-list.js";
import { handlePdu, ModbusError, ModbusException, type RegisterSpace } from "../../core/fieldbus/pdu.js";
import type { PlantSnapshot } from "../../core/model.js";
import { settingByIndex } from "../../core/settings.js";
import type { StringInfo } from "../../core/topology.js";
import type { ModbusConfig } from "./config-schema.js";
import { deviceIdentification, readDeviceIdentification } from "./identity.js";
import { EQUALIZATION_OFFSET, renderImage, type WordOrder, write32 } from "./image.js";
import {
  BLOCK_BASE,
  BLOCK_STRIDE,
  COMMAND_BASE,
  NOT_AVAILABLE,
  PLANT_UNITS,
  SETTINGS_BASE,
  SETTINGS_CAPACITY,
  settingAddress,
} from "./mapping.js";

const SETTINGS_END = SETTINGS_BASE + 2 * SETTINGS_CAPACITY;
const S32_MAX = 0x7fffffff;

/** Where a request came from: a TCP peer address, or the serial line. */
export interface RequestOrigin {
  readonly transport: "tcp" | "rtu";
  /** Peer IP address (TCP) or the serial device path (RTU). */
  readonly remote: string;
}

type Context = Pick<AdapterContext<ModbusConfig>, "model" | "commands" | "auth" | "log" | "health"> & {
  readonly services?: AdapterContext<ModbusConfig>["services"];
};

interface PlannedWrite {
  readonly address: number;
  readonly value: number;
  readonly request: CommandRequest;
  readonly action: Action;
  /** The reply waits for the command's result (settings: the configuration may reject the value). */
  readonly awaitResult?: boolean;
}

/** A reply PDU, or one that follows once a settings change has been validated and applied. */
export type ModbusReply = Buffer | Promise<Buffer>;

/** Exception a master gets when the gateway refuses a settings change, by command error code. */
function exceptionForCommandError(code: string): number {
  if (code === "E_CONFIG_INVALID" || code === "E_CONFIG_PATH") return ModbusException.illegalDataValue;
  if (code === "E_FORBIDDEN") return ModbusException.illegalFunction;
  return ModbusException.deviceFailure;
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
  /** Settings commands of the current request whose result the reply waits for (exception code, 0 = ok). */
  private pendingResults: Promise<number>[] = [];
  private identification: { site: string; objects: Map<number, Buffer> } | undefined;
  private readonly space: RegisterSpace;

  constructor(
    private readonly ctx: Context,
    private readonly config: ModbusConfig,
  ) {
    this.allowed = addressMatcher(config.writes.allow);
    this.order = config.wordOrder;
    this.space = {
      readRegisters: (_kind, address, count) => this.readRegisters(this.image, address, count),
      readBits: (kind, address, count) => this.readBits(kind, address, count),
      writeRegisters: (address, values) => this.write(address, values, false),
      writeCoils: (address, values) =>
        this.write(
          address,
          values.map((v) => (v ? 1 : 0)),
          true,
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
   * Answers one request PDU for `unit`. Returns the reply PDU (a promise when the request changes a setting: the
   * reply says whether the configuration accepted it), or undefined when the unit is unknown and the policy is to
   * stay silent. Never throws; the promise never rejects.
   */
  handle(unit: number, pdu: Uint8Array, origin: RequestOrigin): ModbusReply | undefined {
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
    this.pendingResults = [];
    let reply: Buffer;
    let afterWrite: (() => Buffer) | undefined;
    const fc = pdu[0];
    if (fc === 0x08) reply = diagnostics(pdu);
    else if (fc === 0x2b) reply = readDeviceIdentification(pdu, this.identificationObjects(snapshot));
    else if (fc === 0x17) [reply, afterWrite] = this.readWriteMultiple(pdu);
    else reply = handlePdu(this.space, pdu);
    const pending = this.pendingResults;
    this.pendingResults = [];
    if (pending.length === 0 || (reply[0] ?? 0) & 0x80) {
      this.ctx.health.count((reply[0] ?? 0) & 0x80 ? "exceptions" : "requests");
      return reply;
    }
    const fcByte = fc ?? 0;
    return Promise.all(pending).then(
      (codes) => {
        const failed = codes.find((c) => c !== 0);
        this.ctx.health.count(failed ? "exceptions" : "requests");
        if (failed) return Buffer.from([(fcByte | 0x80) & 0xff, failed]);
        return afterWrite ? afterWrite() : reply;
      },
      () => Buffer.from([(fcByte | 0x80) & 0xff, ModbusException.deviceFailure]),
    );
  }

  private identificationObjects(snapshot: PlantSnapshot): Map<number, Buffer> {
    const site = snapshot.topology.site.name ?? "";
    if (this.identification?.site !== site) this.identification = { site, objects: deviceIdentification(site) };
    return this.identification.objects;
  }

  /**
   * A register read from `words` (one unit's image of one snapshot). The settings area is filled at read time from
   * the values in force, so a change shows at once, not with the next snapshot.
   */
  private readRegisters(words: Uint16Array, address: number, count: number): Uint16Array {
    if (address + count > words.length) throw new ModbusError(ModbusException.illegalDataAddress);
    const slice = words.subarray(address, address + count);
    if (address >= SETTINGS_END || address + count <= SETTINGS_BASE) return slice;
    const out = Uint16Array.from(slice);
    const pair = new Uint16Array(2);
    const values = this.ctx.services?.settings?.list();
    for (let index = 1; index <= SETTINGS_CAPACITY; index++) {
      const setting = settingByIndex(index);
      if (!setting) continue;
      const at = settingAddress(index);
      if (at + 2 <= address || at >= address + count) continue;
      const value = values?.find((v) => v.index === index)?.value;
      const raw =
        value === undefined || !Number.isFinite(value)
          ? NOT_AVAILABLE.s32
          : Math.max(-S32_MAX, Math.min(S32_MAX, Math.round(value * setting.scale)));
      write32(pair, 0, raw, this.order);
      for (let k = 0; k < 2; k++)
        if (at + k >= address && at + k < address + count) out[at + k - address] = pair[k] as number;
    }
    return out;
  }

  /**
   * FC23: the write is done before the read (spec §6.17). Both ranges are checked first, so a request that fails
   * changes nothing. Returns the reply, and when a setting change is pending, how to build the reply after it.
   */
  private readWriteMultiple(pdu: Uint8Array): [Buffer, (() => Buffer) | undefined] {
    const fail = (code: number): [Buffer, undefined] => [Buffer.from([0x97, code]), undefined];
    const view = Buffer.from(pdu.buffer, pdu.byteOffset, pdu.byteLength);
    if (pdu.length < 10) return fail(ModbusException.illegalDataValue);
    const readAddress = view.readUInt16BE(1);
    const readCount = view.readUInt16BE(3);
    const writeAddress = view.readUInt16BE(5);
    const writeCount = view.readUInt16BE(7);
    const byteCount = pdu[9] as number;
    if (readCount < 1 || readCount > 125 || writeCount < 1 || writeCount > 121)
      return fail(ModbusException.illegalDataValue);
    if (byteCount !== 2 * writeCount || pdu.length !== 10 + byteCount) return fail(ModbusException.illegalDataValue);
    if (readAddress + readCount > 0x10000 || writeAddress + writeCount > 0x10000)
      return fail(ModbusException.illegalDataAddress);
    const words = this.image;
    if (readAddress + readCount > words.length) return fail(ModbusException.illegalDataAddress);
    const values: number[] = [];
    for (let i = 0; i < writeCount; i++) values.push(view.readUInt16BE(10 + 2 * i));
    const readReply = () => {
      const data = this.readRegisters(words, readAddress, readCount);
      const out = Buffer.allocUnsafe(2 + 2 * readCount);
      out[0] = 0x17;
      out[1] = 2 * readCount;
      for (let i = 0; i < readCount; i++) out.writeUInt16BE((data[i] ?? 0) & 0xffff, 2 + 2 * i);
      return out;
    };
    try {
      this.write(writeAddress, values, false);
      return [readReply(), readReply];
    } catch (error) {
      if (error instanceof ModbusError) return fail(error.code);
      return fail(ModbusException.deviceFailure);
    }
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
  private write(address: number, values: readonly number[], coils: boolean): void {
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
    for (let i = 0; i < values.length; i++) {
      const a = address + i;
      if (a >= SETTINGS_BASE && a < SETTINGS_END) {
        // A setting is one 32-bit value: both of its registers, in one register write.
        if (coils || i + 1 >= values.length) throw new ModbusError(ModbusException.illegalDataAddress);
        plans.push(this.planSetting(a, values[i] as number, values[i + 1] as number));
        i++;
        continue;
      }
      plans.push(this.plan(a, values[i] as number));
    }
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
      // It does wait for a settings change, which the configuration schema may reject.
      const outcome = this.ctx.commands.run(principal, p.request).then(
        (result) => {
          this.audit(
            `write ${p.value} to ${p.address}: ${result.ok ? result.message : result.error}`,
            result.ok ? "ok" : "failed",
            p.address,
            [p.value],
          );
          return result.ok ? 0 : exceptionForCommandError(result.code);
        },
        (error: unknown) => {
          this.audit(`write to ${p.address} failed: ${String(error)}`, "failed", p.address, [p.value]);
          return ModbusException.deviceFailure as number;
        },
      );
      if (p.awaitResult) this.pendingResults.push(outcome);
    }
  }

  /** A settings write: two registers (word order as configured) = the s32 value × the setting's scale. */
  private planSetting(address: number, first: number, second: number): PlannedWrite {
    const offset = address - SETTINGS_BASE;
    const setting = offset % 2 === 0 ? settingByIndex(offset / 2 + 1) : undefined;
    if (!setting) throw new ModbusError(ModbusException.illegalDataAddress);
    const [high, low] = this.order === "high-first" ? [first, second] : [second, first];
    const raw = ((high << 16) | low) >> 0;
    const value = raw / setting.scale;
    return {
      address,
      value: raw,
      request: { kind: "config-set", path: setting.path.join("."), value },
      action: "config.write",
      awaitResult: true,
    };
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

/** FC08 diagnostics: sub-function 0 (return query data) echoes the request; other sub-functions are not offered. */
function diagnostics(pdu: Uint8Array): Buffer {
  if (pdu.length < 3) return Buffer.from([0x88, ModbusException.illegalDataValue]);
  const sub = ((pdu[1] as number) << 8) | (pdu[2] as number);
  if (sub !== 0) return Buffer.from([0x88, ModbusException.illegalFunction]);
  return Buffer.from(pdu);
}
