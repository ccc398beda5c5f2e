import { createServer, type Server, type Socket } from "node:net";
import { SerialPort } from "serialport";
import { withCrc } from "../core/fieldbus/crc16.js";
import { handlePdu } from "../core/fieldbus/pdu.js";
import { RtuRequestFramer } from "../core/fieldbus/rtu-framer.js";
import { interFrameMs, transactionWireMs } from "../core/fieldbus/timing.js";
import type { SimDevice } from "./devices.js";

export interface EndpointOptions {
  readonly baudRate: number;
  /** Delay each reply by the wire time of request and reply at `baudRate`. */
  readonly pacing: boolean;
}

export interface EndpointStatistics {
  requests: number;
  replies: number;
  crcErrors: number;
  unanswered: number;
}

/**
 * One simulated RS485 bus: every device on it shares one line. Requests are framed, checked and answered one at a
 * time by the addressed device, with that device's faults applied. Reachable as RTU over TCP or on a serial device.
 */
export class SimBusEndpoint {
  readonly stats: EndpointStatistics = { requests: 0, replies: 0, crcErrors: 0, unanswered: 0 };
  private server?: Server;
  private serial?: SerialPort;
  private readonly sockets = new Set<Socket>();
  private random = Math.random;

  constructor(
    readonly busId: string,
    private readonly devices: ReadonlyMap<number, SimDevice>,
    private readonly options: EndpointOptions,
  ) {}

  /** Listens for RTU-over-TCP masters; returns the bound port. */
  async listenTcp(host: string, port: number): Promise<number> {
    const server = createServer((socket) => {
      socket.setNoDelay(true);
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
      socket.on("error", () => socket.destroy());
      this.attach(
        (chunk) => socket.write(chunk),
        (onData) => socket.on("data", onData),
      );
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => resolve());
    });
    const address = server.address();
    return typeof address === "object" && address ? address.port : port;
  }

  /** Answers on a serial device (a USB-RS485 adapter, or one end of a socat pty pair). */
  async openSerial(path: string, baudRate: number): Promise<void> {
    const port = new SerialPort({ path, baudRate, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
    this.serial = port;
    port.on("error", () => {});
    this.attach(
      (chunk) => port.write(chunk),
      (onData) => port.on("data", onData),
    );
  }

  private attach(write: (b: Buffer) => void, subscribe: (onData: (b: Buffer) => void) => void): void {
    // One line: a reply is sent before the next request is served, in order.
    let chain = Promise.resolve();
    const framer = new RtuRequestFramer(
      (frame) => {
        const received = performance.now();
        chain = chain.then(() => this.answer(frame, received, write));
      },
      Math.max(20, 3 * interFrameMs(this.options.baudRate)),
    );
    subscribe((chunk) => {
      const before = framer.crcErrors;
      framer.push(chunk);
      this.stats.crcErrors += framer.crcErrors - before;
    });
  }

  private async answer(frame: Buffer, received: number, write: (b: Buffer) => void): Promise<void> {
    this.stats.requests++;
    const unit = frame[0] as number;
    const pdu = frame.subarray(1, frame.length - 2);
    if (unit === 0) {
      // Broadcast: every device executes writes, nobody answers.
      for (const device of this.devices.values()) if (!device.faults.offline) handlePdu(device, pdu);
      return;
    }
    const device = this.devices.get(unit);
    if (!device || device.faults.offline) {
      this.stats.unanswered++;
      return;
    }
    const reply = withCrc(Buffer.concat([Buffer.from([unit]), handlePdu(device, pdu)]));
    let delay = device.faults.slowMs;
    // Request, the silence after it, and the reply; the silence after the reply is the master's to keep.
    if (this.options.pacing)
      delay +=
        transactionWireMs(this.options.baudRate, frame.length, reply.length) - interFrameMs(this.options.baudRate);
    // Timers run on the loop's cached millisecond clock and can fire up to 1 ms early: round up, so the simulated
    // line is never faster than the wire.
    const wait = received + delay - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, Math.ceil(wait) + 1));
    if (device.faults.crc > 0 && this.random() < device.faults.crc) {
      // Line noise: flip a data bit and keep the old CRC, so a master that skipped the check would read a wrong value.
      const at = reply.length > 5 ? reply.length - 3 : reply.length - 1;
      reply[at] = (reply[at] as number) ^ 0x01;
    }
    this.stats.replies++;
    write(reply);
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    const server = this.server;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    const serial = this.serial;
    if (serial?.isOpen) await new Promise<void>((resolve) => serial.close(() => resolve()));
  }
}
