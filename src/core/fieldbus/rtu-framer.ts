import { hasValidCrc } from "./crc16.js";

/**
 * Splits a byte stream into RTU request frames for a slave. Frame length follows from the function code; bytes
 * that cannot start a frame, frames with a bad CRC and partial frames older than the inter-frame silence are
 * dropped and counted, so one corrupted frame never desynchronises the stream.
 */
export class RtuRequestFramer {
  private buffer: Buffer = Buffer.alloc(0);
  private lastByteAt = 0;
  /** Frames dropped for a bad CRC or garbage. */
  crcErrors = 0;

  constructor(
    private readonly onFrame: (frame: Buffer) => void,
    /** Silence after which a partial frame is discarded (3.5 characters on a real line). */
    private readonly silenceMs = 20,
  ) {}

  push(chunk: Buffer, now = performance.now()): void {
    if (this.buffer.length > 0 && now - this.lastByteAt > this.silenceMs) {
      this.crcErrors++;
      this.buffer = Buffer.alloc(0);
    }
    this.lastByteAt = now;
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const length = expectedRequestLength(this.buffer);
      if (length === undefined) {
        if (this.buffer.length > 256) this.resync();
        return;
      }
      if (length < 0) {
        this.resync();
        continue;
      }
      if (this.buffer.length < length) return;
      const frame = this.buffer.subarray(0, length);
      this.buffer = this.buffer.subarray(length);
      if (hasValidCrc(frame)) this.onFrame(Buffer.from(frame));
      else {
        this.crcErrors++;
        this.buffer = Buffer.alloc(0);
        return;
      }
    }
  }

  private resync(): void {
    this.crcErrors++;
    this.buffer = Buffer.alloc(0);
  }
}

/** Length of the request frame at the start of `b`; undefined = need more bytes; -1 = cannot be a request. */
export function expectedRequestLength(b: Buffer): number | undefined {
  if (b.length < 2) return undefined;
  const fc = b[1] as number;
  // unit fc (4 bytes of address/quantity or sub-function/data) crc
  if ((fc >= 1 && fc <= 6) || fc === 8) return 8;
  if (fc === 15 || fc === 16) {
    if (b.length < 7) return undefined;
    return 9 + (b[6] as number);
  }
  // unit fc read-start read-count write-start write-count byte-count data crc
  if (fc === 23) {
    if (b.length < 11) return undefined;
    return 13 + (b[10] as number);
  }
  // unit fc MEI-type read-code object-id crc (read device identification)
  if (fc === 43) return 7;
  return -1;
}
