/**
 * Modbus TCP framing (MBAP header, Modbus Messaging on TCP/IP §3.1.3): transaction id, protocol id 0, length of
 * unit id + PDU, unit id. A stream decoder that never trusts the length field beyond what the spec allows.
 */

export const MBAP_HEADER_BYTES = 7;
/** Largest PDU the spec allows (253 bytes), plus the unit id the length field also counts. */
export const MAX_MBAP_LENGTH = 254;

export interface MbapFrame {
  readonly transactionId: number;
  readonly unit: number;
  readonly pdu: Buffer;
}

/** Why a stream was given up: the peer is not speaking Modbus TCP, and nothing after this point can be trusted. */
export type MbapViolation = "protocol-id" | "length";

/**
 * Splits a TCP byte stream into MBAP frames. `push` returns the frames completed by the chunk, or a violation after
 * which the connection must be closed (a wrong protocol id or a length outside 2..254 means we lost the framing).
 */
export class MbapDecoder {
  private pending: Buffer | undefined;

  push(chunk: Buffer): MbapFrame[] | MbapViolation {
    let buffer = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = undefined;
    const frames: MbapFrame[] = [];
    let offset = 0;
    while (buffer.length - offset >= 6) {
      if (buffer.readUInt16BE(offset + 2) !== 0) return "protocol-id";
      const length = buffer.readUInt16BE(offset + 4);
      if (length < 2 || length > MAX_MBAP_LENGTH) return "length";
      const end = offset + 6 + length;
      if (buffer.length < end) break;
      frames.push({
        transactionId: buffer.readUInt16BE(offset),
        unit: buffer[offset + 6] as number,
        pdu: buffer.subarray(offset + 7, end),
      });
      offset = end;
    }
    if (offset < buffer.length) {
      // Copy the tail so the big chunk it came from can be collected.
      buffer = buffer.subarray(offset);
      this.pending = Buffer.from(buffer);
    }
    return frames;
  }

  /** Bytes of an incomplete frame waiting for the rest. */
  get buffered(): number {
    return this.pending?.length ?? 0;
  }
}

/** Encodes one reply: MBAP header echoing the transaction id and unit, then the PDU. */
export function encodeMbap(transactionId: number, unit: number, pdu: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(MBAP_HEADER_BYTES + pdu.length);
  out.writeUInt16BE(transactionId & 0xffff, 0);
  out.writeUInt16BE(0, 2);
  out.writeUInt16BE(pdu.length + 1, 4);
  out[6] = unit & 0xff;
  out.set(pdu, MBAP_HEADER_BYTES);
  return out;
}
