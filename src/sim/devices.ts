import { ModbusError, ModbusException, type RegisterSpace } from "../core/fieldbus/pdu.js";
import { DeviceStatusBits, encodeField, type RegisterField } from "../core/profiles/index.js";
import type { DeviceInfo } from "../core/topology.js";
import type { SimPlant, SimString } from "./physics.js";

export type SimFault = "none" | "crc" | "slow" | "stuck" | "wrong-type" | "unbalanceable";

/** Fault state of one simulated device. */
export interface DeviceFaults {
  offline: boolean;
  /** Share of replies sent with a corrupted CRC. */
  crc: number;
  /** Extra reply delay, ms. */
  slowMs: number;
  /** Type code reported instead of the profile's (a wrong device at this address). */
  wrongType?: number;
}

/** Registers past this address answer ILLEGAL DATA ADDRESS, as real probes do. */
const ADDRESS_SPACE_END = 2048;

/**
 * A simulated device: renders its profile's register layout from the plant on every read and turns writes to
 * command registers and coils into plant actions.
 */
export class SimDevice implements RegisterSpace {
  readonly faults: DeviceFaults = { offline: false, crc: 0, slowMs: 0 };

  constructor(
    readonly info: DeviceInfo,
    private readonly plant: SimPlant,
  ) {}

  private get string(): SimString | undefined {
    const role = this.info.role;
    return role.kind === "environment" ? undefined : this.plant.strings[role.stringIndex];
  }

  /** Value of a catalogue point as this device reports it. */
  private pointValue(point: string, blockIndex: number): number {
    const s = this.string;
    const p = this.plant;
    switch (point) {
      case "block.voltage":
        return s ? p.blockVoltage(s, blockIndex) : 0;
      case "block.temperature":
        return s ? p.blockTemperature(s, blockIndex) : 0;
      case "block.resistance":
        return s ? p.blockResistance(s, blockIndex) : 0;
      case "block.equalization":
        return s?.blocks[blockIndex]?.equalizing ? 1 : 0;
      case "string.voltage":
        return s ? p.stringVoltage(s) : 0;
      case "string.current":
        return s ? p.current(s) : 0;
      case "string.loadDisconnect":
        return s?.loadRelay ? 1 : 0;
      case "string.chargeDisconnect":
        return s?.chargeRelay ? 1 : 0;
      case "string.remoteOnOff":
        return s?.remoteOn ? 1 : 0;
      case "system.ambientTemperature":
        return p.ambient;
      case "system.humidity":
        return p.humidity;
      default:
        return 0;
    }
  }

  private fieldValue(field: RegisterField, blockIndex: number, now: number): number {
    if (field.point) return this.pointValue(field.point, blockIndex);
    if (field.status) {
      const b = this.string?.blocks[blockIndex];
      let bits = 0;
      if (b?.equalizing) bits |= DeviceStatusBits.equalizing;
      if (b && b.measuringUntil > now) bits |= DeviceStatusBits.measuringResistance;
      return bits;
    }
    if (field.name === "blockCount") return this.blockCount();
    if (field.name === "bypassCurrent") return this.string?.blocks[blockIndex]?.equalizing ? 0.5 : 0;
    return 0;
  }

  private blockCount(): number {
    return this.info.role.kind === "blocks" ? this.info.role.blockCount : 0;
  }

  private firstBlockIndex(): number {
    return this.info.role.kind === "blocks" ? this.info.role.firstBlock - 1 : 0;
  }

  readRegisters(_kind: "holding" | "input", address: number, count: number): ArrayLike<number> {
    if (address + count > ADDRESS_SPACE_END) throw new ModbusError(ModbusException.illegalDataAddress);
    const now = Date.now();
    this.plant.advance(now);
    const words = new Uint16Array(count);
    const image = new Uint16Array(2);
    const put = (field: RegisterField, at: number, value: number) => {
      encodeField(field, value, image, 0);
      const n = field.type === "u32" || field.type === "s32" ? 2 : 1;
      for (let k = 0; k < n; k++) {
        const i = at + k - address;
        if (i >= 0 && i < count) words[i] = image[k] as number;
      }
    };
    const profile = this.info.profile;
    const id = profile.identity;
    const serial = this.serial();
    const identity: [number, number][] = [
      [id.type, this.faults.wrongType ?? profile.typeCode],
      [id.serial, Math.floor(serial / 0x10000)],
      [id.serial + 1, serial % 0x10000],
      [id.firmware, 0x0102],
    ];
    if (id.blockCount !== undefined) identity.push([id.blockCount, this.blockCount()]);
    for (const [at, value] of identity) if (at >= address && at < address + count) words[at - address] = value;
    const first = this.firstBlockIndex();
    for (const field of profile.fields)
      if (field.address + 1 >= address && field.address < address + count)
        put(field, field.address, this.fieldValue(field, first, now));
    const record = profile.blockRecord;
    if (record) {
      const from = Math.max(0, Math.floor((address - record.base) / record.stride));
      const to = Math.min(this.blockCount(), Math.ceil((address + count - record.base) / record.stride));
      for (let b = from; b < to; b++)
        for (const field of record.fields) {
          const at = record.base + b * record.stride + field.address;
          if (at + 1 >= address && at < address + count) put(field, at, this.fieldValue(field, first + b, now));
        }
    }
    return words;
  }

  readBits(kind: "coil" | "discrete", address: number, count: number): ArrayLike<boolean> {
    const s = this.string;
    if (this.info.profile.id !== "relay-module" || !s) throw new ModbusError(ModbusException.illegalFunction);
    const bits = kind === "coil" ? [s.loadRelay, s.chargeRelay] : [s.remoteOn];
    if (address + count > bits.length) throw new ModbusError(ModbusException.illegalDataAddress);
    return bits.slice(address, address + count);
  }

  writeRegisters(address: number, values: readonly number[]): void {
    const s = this.string;
    const commands = this.info.profile.commands;
    values.forEach((value, k) => {
      const at = address + k;
      const eq = commands.equalize;
      const measure = commands.measureResistance;
      if (eq && s && at >= eq.address && at < eq.address + (eq.perBlock ? this.blockCount() : 1)) {
        const block = s.blocks[this.firstBlockIndex() + (at - eq.address)];
        if (block) block.equalizing = value !== 0;
      } else if (measure && s && at === measure.address) {
        if (value !== 0)
          this.plant.measureResistance(s, this.info.profile.blocksPerDevice === 1 ? this.firstBlockIndex() : undefined);
      } else throw new ModbusError(ModbusException.illegalDataAddress);
    });
  }

  writeCoils(address: number, values: readonly boolean[]): void {
    const s = this.string;
    const { loadDisconnect, chargeDisconnect } = this.info.profile.commands;
    values.forEach((on, k) => {
      const at = address + k;
      if (s && loadDisconnect && at === loadDisconnect.address) s.loadRelay = on;
      else if (s && chargeDisconnect && at === chargeDisconnect.address) s.chargeRelay = on;
      else throw new ModbusError(ModbusException.illegalDataAddress);
    });
  }

  serial(): number {
    const s = this.string;
    if (s && this.info.role.kind === "blocks") return s.blocks[this.firstBlockIndex()]?.serial ?? 0;
    return 900000 + this.info.index;
  }
}
