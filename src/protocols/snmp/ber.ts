/**
 * The BER subset SNMP needs, written for the agent's hot path: decoding checks every length against its container
 * (a malformed packet throws `BerError`, it never reads out of bounds), encoding builds buffers once.
 */

export class BerError extends Error {}

export const TAG = {
  integer: 0x02,
  octetString: 0x04,
  null: 0x05,
  oid: 0x06,
  sequence: 0x30,
  ipAddress: 0x40,
  counter32: 0x41,
  gauge32: 0x42,
  timeTicks: 0x43,
  opaque: 0x44,
  counter64: 0x46,
  noSuchObject: 0x80,
  noSuchInstance: 0x81,
  endOfMibView: 0x82,
  getRequest: 0xa0,
  getNextRequest: 0xa1,
  response: 0xa2,
  setRequest: 0xa3,
  trapV1: 0xa4,
  getBulkRequest: 0xa5,
  informRequest: 0xa6,
  trapV2: 0xa7,
  report: 0xa8,
} as const;

export interface Tlv {
  readonly tag: number;
  /** First byte of the value. */
  readonly start: number;
  /** One past the last byte of the value. */
  readonly end: number;
}

/** Reads one TLV at `pos`, which must end at or before `limit`. */
export function readTlv(buf: Buffer, pos: number, limit: number): Tlv {
  if (pos + 2 > limit) throw new BerError("truncated TLV");
  const tag = buf[pos] as number;
  if ((tag & 0x1f) === 0x1f) throw new BerError("multi-byte tags are not used by SNMP");
  let len = buf[pos + 1] as number;
  let start = pos + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new BerError("unsupported length form");
    if (start + n > limit) throw new BerError("truncated length");
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (buf[start + i] as number);
    start += n;
  }
  const end = start + len;
  if (end > limit) throw new BerError("length beyond container");
  return { tag, start, end };
}

export function expect(buf: Buffer, pos: number, limit: number, tag: number): Tlv {
  const tlv = readTlv(buf, pos, limit);
  if (tlv.tag !== tag) throw new BerError(`expected tag 0x${tag.toString(16)}, got 0x${tlv.tag.toString(16)}`);
  return tlv;
}

/** A signed INTEGER of at most 5 bytes (enough for Integer32 and Unsigned32 values). */
export function readInteger(buf: Buffer, tlv: Tlv): number {
  const n = tlv.end - tlv.start;
  if (n < 1 || n > 5) throw new BerError("integer length out of range");
  let value = (buf[tlv.start] as number) & 0x80 ? -1 : 0;
  for (let i = tlv.start; i < tlv.end; i++) value = value * 256 + (buf[i] as number);
  return value;
}

export const MAX_OID_LENGTH = 128;

export function readOid(buf: Buffer, tlv: Tlv): number[] {
  const { start, end } = tlv;
  if (end <= start) throw new BerError("empty OID");
  const first = buf[start] as number;
  if (first & 0x80) throw new BerError("first OID byte too large");
  const oid = first < 80 ? [Math.floor(first / 40), first % 40] : [2, first - 80];
  let value = 0;
  let bytes = 0;
  for (let i = start + 1; i < end; i++) {
    const b = buf[i] as number;
    if (bytes === 0 && b === 0x80) throw new BerError("OID sub-identifier with leading zero byte");
    value = value * 128 + (b & 0x7f);
    bytes++;
    if (value > 0xffffffff || bytes > 5) throw new BerError("OID sub-identifier too large");
    if ((b & 0x80) === 0) {
      oid.push(value);
      value = 0;
      bytes = 0;
      if (oid.length > MAX_OID_LENGTH) throw new BerError("OID too long");
    }
  }
  if (bytes !== 0) throw new BerError("truncated OID sub-identifier");
  return oid;
}

// --- encoding ---------------------------------------------------------------------------------------------------

function lengthBytes(len: number): number[] {
  if (len < 0x80) return [len];
  if (len < 0x100) return [0x81, len];
  if (len < 0x10000) return [0x82, len >> 8, len & 0xff];
  return [0x83, (len >> 16) & 0xff, (len >> 8) & 0xff, len & 0xff];
}

export function header(tag: number, len: number): Buffer {
  return Buffer.from([tag, ...lengthBytes(len)]);
}

/** A TLV around already-encoded parts. */
export function tlv(tag: number, ...parts: Buffer[]): Buffer {
  let len = 0;
  for (const p of parts) len += p.length;
  return Buffer.concat([header(tag, len), ...parts], len + (len < 0x80 ? 2 : len < 0x100 ? 3 : len < 0x10000 ? 4 : 5));
}

function integerContent(value: number): number[] {
  // Two's complement, minimal length; value within -2^31 .. 2^32-1.
  const bytes: number[] = [];
  let v = Math.trunc(value);
  if (v >= 0) {
    do {
      bytes.unshift(v % 256);
      v = Math.floor(v / 256);
    } while (v > 0);
    if ((bytes[0] as number) & 0x80) bytes.unshift(0);
  } else {
    do {
      bytes.unshift(((v % 256) + 256) % 256);
      v = Math.floor(v / 256);
    } while (v < -1);
    if (!((bytes[0] as number) & 0x80)) bytes.unshift(0xff);
  }
  return bytes;
}

export function encodeInteger(value: number, tag: number = TAG.integer): Buffer {
  const content = integerContent(value);
  return Buffer.from([tag, content.length, ...content]);
}

/** Unsigned application types (Counter32, Gauge32, TimeTicks): always non-negative. */
export function encodeUnsigned(value: number, tag: number): Buffer {
  const v = Math.max(0, Math.min(0xffffffff, Math.trunc(value)));
  return encodeInteger(v, tag);
}

export function encodeOctetString(value: string | Buffer): Buffer {
  const bytes = typeof value === "string" ? Buffer.from(value, "utf8") : value;
  return Buffer.concat([header(TAG.octetString, bytes.length), bytes]);
}

export function encodeOidContent(oid: readonly number[]): Buffer {
  // X.690 8.19.4: the first two arcs form one sub-identifier.
  return encodeSubIdentifiers([(oid[0] ?? 0) * 40 + (oid[1] ?? 0), ...oid.slice(2)]);
}

export function encodeOid(oid: readonly number[]): Buffer {
  const content = encodeOidContent(oid);
  return Buffer.concat([header(TAG.oid, content.length), content]);
}

export const NULL_VALUE = Buffer.from([TAG.null, 0]);
export const NO_SUCH_OBJECT = Buffer.from([TAG.noSuchObject, 0]);
export const NO_SUCH_INSTANCE = Buffer.from([TAG.noSuchInstance, 0]);
export const END_OF_MIB_VIEW = Buffer.from([TAG.endOfMibView, 0]);

/** Lexicographic OID order. */
export function compareOid(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

export function oidText(oid: ArrayLike<number>): string {
  return Array.prototype.join.call(oid, ".");
}

/**
 * Encodes BER into one growing buffer that the agent reuses for every response, so a varbind costs no allocation:
 * `open` a constructed TLV, write its content, `close` it (its length is filled in then, the content shifted when
 * the length needs more than one byte). The bytes are the same as the `encode*` functions above produce.
 */
export class BerWriter {
  buf: Buffer;
  pos = 0;

  constructor(size = 1 << 16) {
    this.buf = Buffer.allocUnsafe(size);
  }

  /** A copy of what was written since `from` (the buffer itself is reused). */
  copy(from = 0): Buffer {
    return Buffer.from(this.buf.subarray(from, this.pos));
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** Copies `src[start, end)`; a byte loop, cheaper than a subarray and `set` for the few bytes of an OID part. */
  range(src: Uint8Array, start: number, end: number): void {
    this.ensure(end - start);
    const buf = this.buf;
    let at = this.pos;
    for (let i = start; i < end; i++) buf[at++] = src[i] as number;
    this.pos = at;
  }

  /** Starts a TLV whose content follows; returns the mark `close` needs. */
  open(tag: number): number {
    this.ensure(2);
    this.buf[this.pos] = tag;
    this.pos += 2;
    return this.pos;
  }

  /** Fills in the length of the TLV opened at `start`; returns how far its content moved (extra length bytes). */
  close(start: number): number {
    const len = this.pos - start;
    if (len < 0x80) {
      this.buf[start - 1] = len;
      return 0;
    }
    const extra = len < 0x100 ? 1 : len < 0x10000 ? 2 : 3;
    this.ensure(extra);
    this.buf.copyWithin(start + extra, start, this.pos);
    this.buf[start - 1] = 0x80 | extra;
    for (let i = 0; i < extra; i++) this.buf[start + i] = (len >> (8 * (extra - 1 - i))) & 0xff;
    this.pos += extra;
    return extra;
  }

  integer(value: number, tag: number = TAG.integer): void {
    let v = Math.trunc(value);
    // Outside Integer32/Unsigned32 (or NaN) the general encoder decides, so the bytes stay identical.
    if (!(v >= -2147483648 && v <= 0xffffffff)) {
      this.bytes(encodeInteger(value, tag));
      return;
    }
    const n =
      v >= 0
        ? v < 0x80
          ? 1
          : v < 0x8000
            ? 2
            : v < 0x800000
              ? 3
              : v < 0x80000000
                ? 4
                : 5
        : v >= -0x80
          ? 1
          : v >= -0x8000
            ? 2
            : v >= -0x800000
              ? 3
              : 4;
    this.ensure(2 + n);
    const buf = this.buf;
    buf[this.pos] = tag;
    buf[this.pos + 1] = n;
    const at = this.pos + 2;
    for (let i = n - 1; i >= 0; i--) {
      buf[at + i] = v & 0xff;
      v = Math.floor(v / 256);
    }
    this.pos = at + n;
  }

  unsigned(value: number, tag: number): void {
    this.integer(Math.max(0, Math.min(0xffffffff, Math.trunc(value))), tag);
  }

  octets(value: string | Uint8Array): void {
    const start = this.open(TAG.octetString);
    if (typeof value === "string") {
      this.ensure(value.length * 3);
      this.pos += this.buf.write(value, this.pos, "utf8");
    } else this.bytes(value);
    this.close(start);
  }

  oid(oid: readonly number[]): void {
    const start = this.open(TAG.oid);
    this.bytes(encodeOidContent(oid));
    this.close(start);
  }
}

/** The content bytes of sub-identifiers after the first two (appended to an encoded OID prefix). */
export function encodeSubIdentifiers(ids: ArrayLike<number>): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < ids.length; i++) {
    let v = ids[i] as number;
    const tmp = [v & 0x7f];
    v = Math.floor(v / 128);
    while (v > 0) {
      tmp.unshift((v & 0x7f) | 0x80);
      v = Math.floor(v / 128);
    }
    bytes.push(...tmp);
  }
  return Buffer.from(bytes);
}
