/** Bits on the wire for one character: start + 8 data + parity-or-second-stop + stop (Modbus RTU: always 11). */
export const BITS_PER_CHAR = 11;

/** Time one character takes on the wire, in ms. */
export function charTimeMs(baudRate: number): number {
  return (BITS_PER_CHAR * 1000) / baudRate;
}

/** The 3.5-character inter-frame silence; fixed at 1.75 ms above 19200 baud (Modbus over serial line §2.5.1.1). */
export function interFrameMs(baudRate: number): number {
  return baudRate > 19200 ? 1.75 : 3.5 * charTimeMs(baudRate);
}

/** Minimum wire time of one request/reply transaction: both frames plus one silence after each. */
export function transactionWireMs(baudRate: number, requestBytes: number, replyBytes: number): number {
  return (requestBytes + replyBytes) * charTimeMs(baudRate) + 2 * interFrameMs(baudRate);
}

/** Size in bytes of an RTU read-registers request and its reply for `count` registers. */
export function readFrameSizes(count: number): { request: number; reply: number } {
  return { request: 8, reply: 5 + 2 * count };
}
