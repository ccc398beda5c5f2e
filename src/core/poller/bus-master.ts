import modbusSerial from "modbus-serial";

type ModbusRTU = InstanceType<typeof modbusSerial.default>;

import type { BusConfig } from "../config/core-schema.js";
import { interFrameMs } from "../fieldbus/timing.js";
import { RtuOverTcpPort } from "./rtu-over-tcp-port.js";

export interface BusStatistics {
  transactions: number;
  failures: number;
  timeouts: number;
  crcErrors: number;
  exceptions: number;
  retries: number;
}

export class ModbusExceptionReply extends Error {
  constructor(readonly code: number) {
    super(`Modbus exception ${code}`);
  }
}

/**
 * One transaction on the client for slave `unit`. Uses modbus-serial's callback API: its promise API binds and
 * re-spreads arguments and adds a promise layer on every call, measurable at hundreds of transactions per second.
 */
type Operation<T> = (client: ModbusRTU, unit: number) => Promise<T>;

/** Where to reach the bus: a serial device, or an RS485 converter (or the simulator) on TCP. */
export type BusEndpoint =
  | {
      type: "serial";
      path: string;
      baudRate: number;
      parity: "none" | "even" | "odd";
      stopBits: 1 | 2;
      dataBits: 7 | 8;
    }
  | { type: "tcp"; host: string; port: number };

/**
 * The Modbus RTU master of one bus. Transactions run strictly one at a time in FIFO order (urgent writes go first),
 * with the configured timeout, retries and inter-frame silence. Reconnects a dropped TCP link on the next use.
 */
export class BusMaster {
  readonly stats: BusStatistics = {
    transactions: 0,
    failures: 0,
    timeouts: 0,
    crcErrors: 0,
    exceptions: 0,
    retries: 0,
  };
  // modbus-serial is CommonJS; its typings expose the class as the default member under NodeNext.
  private client?: ModbusRTU;
  private chain: Promise<unknown> = Promise.resolve();
  private urgent: (() => Promise<void>)[] = [];
  private lastFrameEnd = 0;
  private closed = false;
  private readonly gapMs: number;

  constructor(
    readonly bus: BusConfig,
    private readonly endpoint: BusEndpoint,
  ) {
    const timing = bus.timing;
    this.gapMs = timing.interFrameDelay === "auto" ? interFrameMs(bus.transport.baudRate) : timing.interFrameDelay;
  }

  private async connect(): Promise<ModbusRTU> {
    if (this.client?.isOpen) return this.client;
    const e = this.endpoint;
    let client: ModbusRTU;
    if (e.type === "tcp") {
      client = new modbusSerial.default(new RtuOverTcpPort(e.host, e.port));
      await new Promise<void>((resolve, reject) =>
        client.open((error: Error | null) => (error ? reject(error) : resolve())),
      );
    } else {
      client = new modbusSerial.default();
      await client.connectRTUBuffered(e.path, {
        baudRate: e.baudRate,
        parity: e.parity,
        stopBits: e.stopBits,
        dataBits: e.dataBits,
      });
    }
    client.setTimeout(this.bus.timing.timeout);
    this.client = client;
    return client;
  }

  /** Runs `op` as one bus transaction, with retries; urgent ones jump the queue. */
  transact<T>(address: number, op: Operation<T>, urgent = false): Promise<T> {
    const run = () => this.runWithRetries(address, op);
    if (!urgent) {
      // The common case (no urgent write waiting) costs one promise step, not three: this runs per transaction.
      const result = this.chain.then(() => (this.urgent.length > 0 ? this.drainUrgent().then(run) : run()));
      this.chain = result.catch(() => {});
      return result;
    }
    return new Promise<T>((resolve, reject) => {
      this.urgent.push(() => run().then(resolve, reject));
      const result = this.chain.then(() => this.drainUrgent());
      this.chain = result.catch(() => {});
    });
  }

  private async drainUrgent(): Promise<void> {
    while (this.urgent.length > 0) await this.urgent.shift()?.();
  }

  private async runWithRetries<T>(address: number, op: Operation<T>): Promise<T> {
    let lastError: unknown;
    for (let attempt = 0; attempt <= this.bus.timing.retries; attempt++) {
      if (this.closed) throw new Error("bus closed");
      if (attempt > 0) this.stats.retries++;
      try {
        const client = this.client?.isOpen ? this.client : await this.connect();
        const wait = this.lastFrameEnd + this.gapMs - performance.now();
        if (wait > 0.5) await new Promise((r) => setTimeout(r, wait));
        this.stats.transactions++;
        const result = await op(client, address);
        this.lastFrameEnd = performance.now();
        return result;
      } catch (error) {
        this.lastFrameEnd = performance.now();
        lastError = this.classify(error);
        if (lastError instanceof ModbusExceptionReply) throw lastError; // the device answered: retrying will not help
      }
    }
    this.stats.failures++;
    throw lastError;
  }

  private classify(error: unknown): unknown {
    const e = error as { modbusCode?: number; errno?: string; message?: string; name?: string };
    if (typeof e?.modbusCode === "number") {
      this.stats.exceptions++;
      return new ModbusExceptionReply(e.modbusCode);
    }
    if (e?.errno === "ETIMEDOUT" || /timed out/i.test(e?.message ?? "")) this.stats.timeouts++;
    else if (/crc/i.test(e?.message ?? "")) this.stats.crcErrors++;
    else if (/port not open|ECONNRE|EPIPE|closed/i.test(`${e?.message ?? ""} ${e?.errno ?? ""}`))
      this.client = undefined;
    return error;
  }

  readRegisters(address: number, start: number, count: number): Promise<number[]> {
    return this.transact(
      address,
      (c, unit) =>
        new Promise((resolve, reject) =>
          c.writeFC3(unit, start, count, (error, reply) => (error ? reject(error) : resolve(reply.data))),
        ),
    );
  }

  writeRegister(address: number, register: number, value: number): Promise<void> {
    const op: Operation<void> = (c, unit) =>
      new Promise((resolve, reject) =>
        c.writeFC6(unit, register, value, (error) => (error ? reject(error) : resolve())),
      );
    return this.transact(address, op, true);
  }

  writeCoil(address: number, coil: number, value: boolean): Promise<void> {
    const op: Operation<void> = (c, unit) =>
      new Promise((resolve, reject) => c.writeFC5(unit, coil, value, (error) => (error ? reject(error) : resolve())));
    return this.transact(address, op, true);
  }

  async close(): Promise<void> {
    this.closed = true;
    const client = this.client;
    if (!client?.isOpen) return;
    await new Promise<void>((resolve) => client.close(() => resolve()));
  }
}
