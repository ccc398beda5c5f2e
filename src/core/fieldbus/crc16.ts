/** Modbus RTU CRC-16 (polynomial 0xA001, init 0xFFFF), table-driven. Appended little-endian to a frame. */
const TABLE = (() => {
  const t = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xa001 : c >>> 1;
    t[i] = c;
  }
  return t;
})();

export function crc16(data: Uint8Array, start = 0, end = data.length): number {
  let crc = 0xffff;
  for (let i = start; i < end; i++) crc = (crc >>> 8) ^ (TABLE[(crc ^ (data[i] as number)) & 0xff] as number);
  return crc;
}

/** Returns a new buffer: frame + CRC. */
export function withCrc(frame: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(frame.length + 2);
  out.set(frame, 0);
  out.writeUInt16LE(crc16(frame), frame.length);
  return out;
}

export function hasValidCrc(frame: Uint8Array): boolean {
  if (frame.length < 4) return false;
  const expected = (frame[frame.length - 2] as number) | ((frame[frame.length - 1] as number) << 8);
  return crc16(frame, 0, frame.length - 2) === expected;
}
