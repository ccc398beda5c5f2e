import type { PointId } from "../points.js";

/** Wire encoding of a register field. 32-bit values are big-endian word order (high word first). */
export type RegisterType = "u16" | "s16" | "u32" | "s32";

export interface RegisterField {
  readonly name: string;
  /** Register address (0-based) — for block records, the offset inside one record. */
  readonly address: number;
  readonly type: RegisterType;
  /** Engineering value = raw × scale. */
  readonly scale: number;
  readonly unit: string;
  readonly description: string;
  /** Catalogue point this field feeds; absent for status and identity fields. */
  readonly point?: PointId;
  /** Bit flags of a status field; see DeviceStatusBits. */
  readonly status?: true;
}

/** A write the gateway can send to the device. */
export interface CommandDefinition {
  readonly description: string;
  /** `register` → FC06 write single register; `coil` → FC05 write single coil. */
  readonly kind: "register" | "coil";
  readonly address: number;
  /** For block-scoped commands on multi-block devices: address of block n is address + (n - 1). */
  readonly perBlock?: true;
}

export type CommandName = "equalize" | "measureResistance" | "loadDisconnect" | "chargeDisconnect";

/**
 * A probe type as data: where each value lives, how it is scaled, which catalogue point it feeds.
 * A new probe model is a new profile, not new code.
 */
export interface DeviceProfile {
  readonly id: string;
  readonly description: string;
  /** Value of the device-type register that identifies this profile. */
  readonly typeCode: number;
  /** Blocks one device measures: 1 for a cell probe, up to 120 for a string master, 0 for other sensors. */
  readonly blocksPerDevice: number;
  /** Identity registers, read at discovery and after every comm restore. */
  readonly identity: {
    readonly type: number;
    readonly serial: number;
    readonly firmware: number;
    readonly blockCount?: number;
  };
  /** Device-level fields: string, system or block points (single-block probes) and the status word. */
  readonly fields: readonly RegisterField[];
  /** Repeated per block on multi-block devices. */
  readonly blockRecord?: { readonly base: number; readonly stride: number; readonly fields: readonly RegisterField[] };
  readonly commands: Partial<Record<CommandName, CommandDefinition>>;
  /** Read-only inputs served as discrete inputs (FC02) in addition to the status registers. */
  readonly discreteInputs?: readonly {
    readonly address: number;
    readonly name: string;
    readonly description: string;
  }[];
}

/** Status word bits shared by every profile. */
export const DeviceStatusBits = {
  sensorFault: 1 << 0,
  equalizing: 1 << 1,
  measuringResistance: 1 << 2,
} as const;

/** Identity layout shared by all built-in profiles: type, serial (u32), firmware (major << 8 | minor). */
export const STANDARD_IDENTITY = { type: 0, serial: 1, firmware: 3 } as const;
