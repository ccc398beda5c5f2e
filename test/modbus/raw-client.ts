import { connect, type Socket } from "node:net";

/**
 * A deliberately small raw Modbus TCP client for tests: sends arbitrary bytes, matches replies by transaction id,
 * and reports when the server closes the connection.
 */
export class RawModbusClient {
  private buffer = Buffer.alloc(0);
  private readonly waiting = new Map<number, (reply: Buffer) => void>();
  private nextTid = 1;
  closed = false;
  private readonly closeWaiters: (() => void)[] = [];
  readonly received: Buffer[] = [];

  private constructor(readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      while (this.buffer.length >= 7) {
        const length = this.buffer.readUInt16BE(4);
        if (this.buffer.length < 6 + length) break;
        const frame = this.buffer.subarray(0, 6 + length);
        this.buffer = this.buffer.subarray(6 + length);
        this.received.push(frame);
        const tid = frame.readUInt16BE(0);
        const done = this.waiting.get(tid);
        this.waiting.delete(tid);
        done?.(frame);
      }
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      this.closed = true;
      for (const w of this.closeWaiters.splice(0)) w();
    });
  }

  static open(port: number, localAddress?: string): Promise<RawModbusClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: "127.0.0.1", port, ...(localAddress ? { localAddress } : {}) }, () =>
        resolve(new RawModbusClient(socket)),
      );
      socket.once("error", reject);
    });
  }

  /** Sends one request PDU and resolves with the reply PDU; rejects when the connection closes first. */
  request(unit: number, pdu: Uint8Array, timeoutMs = 3000): Promise<Buffer> {
    const tid = this.nextTid++ & 0xffff;
    const header = Buffer.alloc(7);
    header.writeUInt16BE(tid, 0);
    header.writeUInt16BE(0, 2);
    header.writeUInt16BE(pdu.length + 1, 4);
    header[6] = unit;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no reply to transaction ${tid}`)), timeoutMs);
      this.waiting.set(tid, (frame) => {
        clearTimeout(timer);
        resolve(frame.subarray(7));
      });
      this.onClose(() => {
        clearTimeout(timer);
        reject(new Error("connection closed"));
      });
      this.socket.write(Buffer.concat([header, pdu]));
    });
  }

  readInput(unit: number, address: number, count: number, fc = 4): Promise<Buffer> {
    const pdu = Buffer.alloc(5);
    pdu[0] = fc;
    pdu.writeUInt16BE(address, 1);
    pdu.writeUInt16BE(count, 3);
    return this.request(unit, pdu);
  }

  writeRaw(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  onClose(listener: () => void): void {
    if (this.closed) listener();
    else this.closeWaiters.push(listener);
  }

  waitClosed(timeoutMs = 3000): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.onClose(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

export function readPdu(fc: number, address: number, count: number): Buffer {
  const pdu = Buffer.alloc(5);
  pdu[0] = fc;
  pdu.writeUInt16BE(address, 1);
  pdu.writeUInt16BE(count, 3);
  return pdu;
}
