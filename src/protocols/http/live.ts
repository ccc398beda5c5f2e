/**
 * Live updates over Server-Sent Events. One subscription to the change feed serves every client: snapshots are
 * throttled to one `plant` + `blocks` message per interval (blocks = the block values that changed since the last
 * message, latest value wins), alarm-list changes send `alarms`, and each event goes out at once as `event`.
 * A client that cannot keep up (socket buffer over 1 MiB) is dropped; the browser's EventSource reconnects.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import type { ChangeFeed, HealthReporter, ModelReader } from "../../core/adapter.js";
import type { EventRecord } from "../../core/events.js";
import type { ModelDelta, PlantSnapshot } from "../../core/model.js";
import { pointById } from "../../core/points.js";
import { fieldOf, jsonValue, plantJson } from "./mapping.js";
import { HttpError } from "./server.js";

const MAX_BUFFERED = 1024 * 1024;
const HEARTBEAT_MS = 15_000;

interface Client {
  readonly reply: FastifyReply;
  readonly allow: (event: EventRecord) => boolean;
}

interface BlockChange {
  stringId: number;
  block: number;
  values: Record<string, number | string | null>;
}

export class LiveHub {
  private readonly clients = new Set<Client>();
  private pendingBlocks = new Map<number, BlockChange>();
  private alarmsChanged = false;
  private latest: PlantSnapshot | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastSent = 0;
  private readonly heartbeat: NodeJS.Timeout;

  constructor(
    private readonly options: {
      model: ModelReader;
      changes: ChangeFeed;
      health: HealthReporter;
      interval: number;
      maxClients: number;
      defer: (cleanup: () => void) => void;
    },
  ) {
    options.defer(options.changes.on("snapshot", (snapshot, delta) => this.onSnapshot(snapshot, delta)));
    options.defer(options.changes.on("event", (record) => this.onEvent(record)));
    this.heartbeat = setInterval(() => this.broadcast(": keep-alive\n\n"), HEARTBEAT_MS);
    this.heartbeat.unref();
    options.defer(() => this.close());
  }

  get size(): number {
    return this.clients.size;
  }

  attach(request: FastifyRequest, reply: FastifyReply, allow: (event: EventRecord) => boolean): void {
    if (this.clients.size >= this.options.maxClients)
      throw new HttpError(503, "E_HTTP_LIVE_FULL", "too many live clients; try again later");
    reply.hijack();
    const raw = reply.raw;
    for (const [name, value] of Object.entries(reply.getHeaders()))
      if (value !== undefined) raw.setHeader(name, value as string);
    raw.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    });
    const client: Client = { reply, allow };
    this.clients.add(client);
    this.options.health.count("live-clients");
    const snapshot = this.options.model.current();
    raw.write(`retry: 3000\n\n`);
    this.send(client, "plant", plantJson(snapshot));
    this.send(client, "alarms", { version: snapshot.version, alarms: snapshot.alarms });
    request.raw.on("close", () => this.clients.delete(client));
  }

  private onSnapshot(snapshot: PlantSnapshot, delta: ModelDelta): void {
    if (this.clients.size === 0) return;
    this.latest = snapshot;
    const { strings } = snapshot.topology;
    for (const change of delta.changes) {
      if (change.scope !== "block") continue;
      const s = strings.find((x) => change.row >= x.firstBlockRow && change.row < x.firstBlockRow + x.blockCount);
      const point = pointById(change.point);
      if (!s || !point) continue;
      let entry = this.pendingBlocks.get(change.row);
      if (!entry) {
        entry = { stringId: s.id, block: change.row - s.firstBlockRow + 1, values: {} };
        this.pendingBlocks.set(change.row, entry);
      }
      entry.values[fieldOf(point)] = jsonValue(point, change.value);
    }
    if (delta.alarmsChanged) this.alarmsChanged = true;
    this.schedule();
  }

  private schedule(): void {
    if (this.timer) return;
    const wait = Math.max(0, this.lastSent + this.options.interval - Date.now());
    this.timer = setTimeout(() => this.flush(), wait);
  }

  private flush(): void {
    this.timer = undefined;
    const snapshot = this.latest;
    if (!snapshot) return;
    this.lastSent = Date.now();
    this.broadcastEvent("plant", plantJson(snapshot));
    if (this.pendingBlocks.size > 0) {
      this.broadcastEvent("blocks", { version: snapshot.version, blocks: [...this.pendingBlocks.values()] });
      this.pendingBlocks = new Map();
    }
    if (this.alarmsChanged) {
      this.alarmsChanged = false;
      this.broadcastEvent("alarms", { version: snapshot.version, alarms: snapshot.alarms });
    }
  }

  private onEvent(record: EventRecord): void {
    const text = `event: event\ndata: ${JSON.stringify(record)}\n\n`;
    for (const client of this.clients) if (client.allow(record)) this.write(client, text);
  }

  private send(client: Client, event: string, data: unknown): void {
    this.write(client, `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  private broadcastEvent(event: string, data: unknown): void {
    if (this.clients.size === 0) return;
    this.broadcast(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  private broadcast(text: string): void {
    for (const client of this.clients) this.write(client, text);
  }

  private write(client: Client, text: string): void {
    const raw = client.reply.raw;
    if (raw.writableLength > MAX_BUFFERED) {
      this.clients.delete(client);
      this.options.health.count("live-dropped");
      raw.destroy();
      return;
    }
    raw.write(text);
  }

  close(): void {
    clearInterval(this.heartbeat);
    clearTimeout(this.timer);
    for (const client of this.clients) client.reply.raw.end();
    this.clients.clear();
  }
}
