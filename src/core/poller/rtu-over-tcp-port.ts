import { EventEmitter } from "node:events";
import { Socket } from "node:net";

/**
 * Raw Modbus RTU frames over a TCP stream (an RS485-to-Ethernet converter in transparent mode, or the simulator),
 * as a port for modbus-serial. It replaces modbus-serial's own "telnet" port, which serialises every frame to JSON
 * for debug output even when debugging is off — a third of the poller's CPU time per transaction.
 *
 * It cuts the reply frame out of the stream by the length the request implies; modbus-serial then checks the CRC.
 */
export class RtuOverTcpPort extends EventEmitter {
  private readonly socket = new Socket();
  private buffer: Buffer = Buffer.alloc(0);
  private unit = 0;
  private fc = 0;
  private expected = 0;
  private open_ = false;

  constructor(
    private readonly host: string,
    private readonly port: number,
  ) {
    super();
    this.socket.setNoDelay(true);
    this.socket.on("data", (chunk: Buffer) => this.receive(chunk));
    this.socket.on("close", () => {
      this.open_ = false;
      this.emit("close");
    });
    this.socket.on("error", (error) => {
      const wasOpen = this.open_;
      this.open_ = false;
      // Before open() succeeds the error goes to open()'s callback; afterwards to modbus-serial's listener.
      if (wasOpen && this.listenerCount("error") > 0) this.emit("error", error);
    });
  }

  get isOpen(): boolean {
    return this.open_;
  }

  open(callback: (error?: Error) => void): void {
    const onError = (error: Error) => callback(error);
    this.socket.once("error", onError);
    this.socket.connect(this.port, this.host, () => {
      this.socket.off("error", onError);
      this.open_ = true;
      callback();
    });
  }

  close(callback?: () => void): void {
    this.open_ = false;
    this.socket.end(() => callback?.());
    this.socket.destroy();
  }

  destroy(callback?: () => void): void {
    this.close(callback);
  }

  write(frame: Buffer): void {
    this.unit = frame[0] ?? 0;
    this.fc = frame[1] ?? 0;
    const quantity = frame.length >= 6 ? frame.readUInt16BE(4) : 0;
    if (this.fc === 1 || this.fc === 2) this.expected = 5 + Math.ceil(quantity / 8);
    else if (this.fc === 3 || this.fc === 4) this.expected = 5 + 2 * quantity;
    else this.expected = 8;
    // A late reply to an earlier, timed-out request must not be taken for this one.
    this.buffer = Buffer.alloc(0);
    this.socket.write(frame);
  }

  private receive(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    for (let i = 0; i + 5 <= this.buffer.length; i++) {
      if (this.buffer[i] !== this.unit) continue;
      const fc = this.buffer[i + 1];
      const length = fc === this.fc ? this.expected : fc === (this.fc | 0x80) ? 5 : 0;
      if (length === 0) continue;
      if (i + length > this.buffer.length) return; // wait for the rest
      const frame = this.buffer.subarray(i, i + length);
      this.buffer = Buffer.alloc(0);
      this.emit("data", frame);
      return;
    }
  }
}
