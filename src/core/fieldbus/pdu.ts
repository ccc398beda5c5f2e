/**
 * Slave-side Modbus PDU handling shared by the simulator and the gateway's own Modbus servers: validates a request
 * PDU, calls the register space and encodes the reply or the right exception.
 */

export const ModbusException = {
  illegalFunction: 0x01,
  illegalDataAddress: 0x02,
  illegalDataValue: 0x03,
  deviceFailure: 0x04,
  gatewayPathUnavailable: 0x0a,
  gatewayTargetFailed: 0x0b,
} as const;
export type ModbusExceptionCode = (typeof ModbusException)[keyof typeof ModbusException];

export class ModbusError extends Error {
  constructor(
    readonly code: ModbusExceptionCode,
    message?: string,
  ) {
    super(message ?? `Modbus exception ${code}`);
  }
}

/**
 * What a slave exposes. Throw ModbusError for an exception reply; any other throw becomes 04 device failure.
 * Ranges are already validated for quantity; addresses are the caller's to check.
 */
export interface RegisterSpace {
  readRegisters(kind: "holding" | "input", address: number, count: number): ArrayLike<number>;
  readBits?(kind: "coil" | "discrete", address: number, count: number): ArrayLike<boolean>;
  writeRegisters?(address: number, values: readonly number[]): void;
  writeCoils?(address: number, values: readonly boolean[]): void;
}

function exception(fc: number, code: number): Buffer {
  return Buffer.from([(fc | 0x80) & 0xff, code]);
}

function bitsReply(fc: number, bits: ArrayLike<boolean>, count: number): Buffer {
  const bytes = Math.ceil(count / 8);
  const out = Buffer.alloc(2 + bytes);
  out[0] = fc;
  out[1] = bytes;
  for (let i = 0; i < count; i++) if (bits[i]) out[2 + (i >> 3)] = (out[2 + (i >> 3)] as number) | (1 << (i & 7));
  return out;
}

/** Handles one request PDU (function code + data) and returns the reply PDU. */
export function handlePdu(space: RegisterSpace, pdu: Uint8Array): Buffer {
  const fc = pdu[0];
  if (fc === undefined) return exception(0, ModbusException.illegalFunction);
  const view = Buffer.from(pdu.buffer, pdu.byteOffset, pdu.byteLength);
  const u16 = (offset: number) => (offset + 2 <= view.length ? view.readUInt16BE(offset) : -1);
  try {
    switch (fc) {
      case 0x01:
      case 0x02: {
        if (pdu.length !== 5 || !space.readBits) return exception(fc, pdu.length !== 5 ? 3 : 1);
        const address = u16(1);
        const count = u16(3);
        if (count < 1 || count > 2000) return exception(fc, ModbusException.illegalDataValue);
        if (address + count > 0x10000) return exception(fc, ModbusException.illegalDataAddress);
        return bitsReply(fc, space.readBits(fc === 1 ? "coil" : "discrete", address, count), count);
      }
      case 0x03:
      case 0x04: {
        if (pdu.length !== 5) return exception(fc, ModbusException.illegalDataValue);
        const address = u16(1);
        const count = u16(3);
        if (count < 1 || count > 125) return exception(fc, ModbusException.illegalDataValue);
        if (address + count > 0x10000) return exception(fc, ModbusException.illegalDataAddress);
        const words = space.readRegisters(fc === 3 ? "holding" : "input", address, count);
        const out = Buffer.allocUnsafe(2 + 2 * count);
        out[0] = fc;
        out[1] = 2 * count;
        for (let i = 0; i < count; i++) out.writeUInt16BE((words[i] ?? 0) & 0xffff, 2 + 2 * i);
        return out;
      }
      case 0x05: {
        if (pdu.length !== 5) return exception(fc, ModbusException.illegalDataValue);
        if (!space.writeCoils) return exception(fc, ModbusException.illegalFunction);
        const value = u16(3);
        if (value !== 0xff00 && value !== 0x0000) return exception(fc, ModbusException.illegalDataValue);
        space.writeCoils(u16(1), [value === 0xff00]);
        return Buffer.from(pdu);
      }
      case 0x06: {
        if (pdu.length !== 5) return exception(fc, ModbusException.illegalDataValue);
        if (!space.writeRegisters) return exception(fc, ModbusException.illegalFunction);
        space.writeRegisters(u16(1), [u16(3)]);
        return Buffer.from(pdu);
      }
      case 0x0f: {
        if (!space.writeCoils) return exception(fc, ModbusException.illegalFunction);
        const address = u16(1);
        const count = u16(3);
        const byteCount = pdu[5] ?? -1;
        if (count < 1 || count > 1968 || byteCount !== Math.ceil(count / 8) || pdu.length !== 6 + byteCount)
          return exception(fc, ModbusException.illegalDataValue);
        if (address + count > 0x10000) return exception(fc, ModbusException.illegalDataAddress);
        const values: boolean[] = [];
        for (let i = 0; i < count; i++) values.push((((pdu[6 + (i >> 3)] as number) >> (i & 7)) & 1) === 1);
        space.writeCoils(address, values);
        return Buffer.from(pdu.subarray(0, 5));
      }
      case 0x10: {
        if (!space.writeRegisters) return exception(fc, ModbusException.illegalFunction);
        const address = u16(1);
        const count = u16(3);
        const byteCount = pdu[5] ?? -1;
        if (count < 1 || count > 123 || byteCount !== 2 * count || pdu.length !== 6 + byteCount)
          return exception(fc, ModbusException.illegalDataValue);
        if (address + count > 0x10000) return exception(fc, ModbusException.illegalDataAddress);
        const values: number[] = [];
        for (let i = 0; i < count; i++) values.push(view.readUInt16BE(6 + 2 * i));
        space.writeRegisters(address, values);
        return Buffer.from(pdu.subarray(0, 5));
      }
      default:
        return exception(fc, ModbusException.illegalFunction);
    }
  } catch (error) {
    if (error instanceof ModbusError) return exception(fc, error.code);
    return exception(fc, ModbusException.deviceFailure);
  }
}
