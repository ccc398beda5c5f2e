/**
 * Modbus TCP masters of the whole-plant benchmark (a separate process): `masters` connections each read the whole
 * register map — the plant unit and every string unit, 125 registers per FC03 request — once per `intervalMs`, and
 * one more connection watches the alarm bit (FC02) of every block the driver announces.
 */
import net from "node:net";
import { z } from "zod";
import { EVENT_CATALOGUE } from "../../../src/core/alarms/catalogue.js";
import { BLOCK_BASE, BLOCK_STRIDE } from "../../../src/protocols/modbus/mapping.js";
import { Counter, clientProcess, now, SCENARIO_EVENT_ID, sleep } from "../common.js";

const { settings, send, onMessage } = clientProcess(
  z.object({
    port: z.number(),
    masters: z.number().int().min(1),
    intervalMs: z.number().min(0),
    strings: z.array(z.object({ id: z.number(), blocks: z.number() })),
  }),
);

const ALARM_BIT = EVENT_CATALOGUE.find((d) => d.eventId === SCENARIO_EVENT_ID)?.bit ?? 0;

/** A Modbus TCP master with one request in flight; rejects on exception replies, timeouts and closed sockets. */
class Master {
  private socket!: net.Socket;
  private buffer = Buffer.alloc(0);
  private transaction = 0;
  private pending: { id: number; resolve: (pdu: Buffer) => void; reject: (e: Error) => void } | undefined;

  async connect(): Promise<void> {
    this.socket = net.connect({ host: "127.0.0.1", port: settings.port, noDelay: true });
    await new Promise<void>((resolve, reject) => {
      this.socket.once("connect", resolve);
      this.socket.once("error", reject);
    });
    this.socket.on("data", (chunk) => this.receive(chunk));
    this.socket.on("error", () => {});
    this.socket.on("close", () => this.pending?.reject(new Error("connection closed")));
  }

  private receive(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    while (this.buffer.length >= 7) {
      const length = this.buffer.readUInt16BE(4);
      if (this.buffer.length < 6 + length) return;
      const id = this.buffer.readUInt16BE(0);
      const pdu = this.buffer.subarray(7, 6 + length);
      this.buffer = this.buffer.subarray(6 + length);
      const p = this.pending;
      if (p && p.id === id) {
        this.pending = undefined;
        if ((pdu[0] ?? 0) & 0x80) p.reject(new Error(`exception ${pdu[1]} to function ${(pdu[0] ?? 0) & 0x7f}`));
        else p.resolve(pdu);
      }
    }
  }

  async request(unit: number, fc: number, address: number, quantity: number): Promise<Buffer> {
    // The gateway closes connections idle for its idleTimeout (120 s); a master then connects again, as SCADA does.
    if (this.socket.destroyed) {
      counter.add("reconnects");
      await this.connect();
    }
    this.transaction = (this.transaction + 1) & 0xffff;
    const frame = Buffer.alloc(12);
    frame.writeUInt16BE(this.transaction, 0);
    frame.writeUInt16BE(0, 2);
    frame.writeUInt16BE(6, 4);
    frame.writeUInt8(unit, 6);
    frame.writeUInt8(fc, 7);
    frame.writeUInt16BE(address, 8);
    frame.writeUInt16BE(quantity, 10);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending = undefined;
        reject(new Error(`timeout unit ${unit} fc ${fc} address ${address}`));
      }, 5000);
      this.pending = {
        id: this.transaction,
        resolve: (pdu) => {
          clearTimeout(timer);
          resolve(pdu);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      this.socket.write(frame);
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

const counter = new Counter();
let running = true;

/** Every (unit, first register, count) of the whole map: plant unit 0 and each string unit, 125 registers a read. */
const reads: [number, number, number][] = [];
for (const [unit, length] of [
  [0, BLOCK_BASE],
  ...settings.strings.map((s) => [s.id, BLOCK_BASE + BLOCK_STRIDE * s.blocks]),
])
  for (let a = 0; a < (length as number); a += 125)
    reads.push([unit as number, a, Math.min(125, (length as number) - a)]);

async function poll(master: Master): Promise<void> {
  while (running) {
    const started = performance.now();
    for (const [unit, address, count] of reads) {
      if (!running) return;
      try {
        const pdu = await master.request(unit, 3, address, count);
        if (pdu[1] !== count * 2)
          counter.error(`unit ${unit} address ${address}: ${pdu[1]} bytes for ${count} registers`);
        else counter.ok();
      } catch (error) {
        counter.error((error as Error).message);
      }
    }
    counter.add("mapPasses");
    const rest = settings.intervalMs - (performance.now() - started);
    if (rest > 0) await sleep(rest);
  }
}

const watches = new Map<string, { stringId: number; block: number; raised: boolean }>();
onMessage((message) => {
  if (message.type === "watch") watches.set(`${message.stringId}/${message.block}`, { ...message, raised: false });
  if (message.type === "stop") running = false;
});

/** Polls the alarm bit of each announced block every ~10 ms and reports when it is set and when it clears again. */
async function watch(master: Master): Promise<void> {
  while (running) {
    for (const [key, w] of watches) {
      try {
        const pdu = await master.request(w.stringId, 2, BLOCK_BASE + BLOCK_STRIDE * (w.block - 1) + ALARM_BIT, 1);
        counter.ok();
        const set = ((pdu[2] ?? 0) & 1) === 1;
        if (set && !w.raised) {
          w.raised = true;
          send({
            type: "seen",
            destination: "modbus",
            state: "raised",
            eventId: SCENARIO_EVENT_ID,
            stringId: w.stringId,
            block: w.block,
            time: now(),
          });
        } else if (!set && w.raised) {
          watches.delete(key);
          send({
            type: "seen",
            destination: "modbus",
            state: "cleared",
            eventId: SCENARIO_EVENT_ID,
            stringId: w.stringId,
            block: w.block,
            time: now(),
          });
        }
      } catch (error) {
        counter.error((error as Error).message);
      }
    }
    await sleep(10);
  }
}

const masters = await Promise.all(
  Array.from({ length: settings.masters + 1 }, async () => {
    const m = new Master();
    await m.connect();
    return m;
  }),
);
const timer = setInterval(() => send(counter.message("modbus")), 1000);
send({ type: "ready" });
const [watcher, ...pollers] = masters as [Master, ...Master[]];
await Promise.all([watch(watcher), ...pollers.map((m) => poll(m))]);
clearInterval(timer);
send(counter.message("modbus"));
for (const m of masters) m.close();
process.disconnect?.();
