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
import { POINTS, type PointId } from "../../core/points.js";
import type { StringInfo } from "../../core/topology.js";
import { fieldOf, jsonValue, plantJson } from "./mapping.js";
import { HttpError } from "./server.js";

const MAX_BUFFERED = 1024 * 1024;
const HEARTBEAT_MS = 15_000;

interface Client {
  readonly reply: FastifyReply;
  readonly allow: (event: EventRecord) => boolean;
}

const BLOCK_POINTS = POINTS.filter((p) => p.scope === "block");
if (BLOCK_POINTS.length > 32) throw new Error("live: a block's changed points are kept as 32 bits");
const BLOCK_POINT_BIT = new Map(BLOCK_POINTS.map((p, i) => [p.id, 1 << i]));

export class LiveHub {
  private readonly clients = new Set<Client>();
  /**
   * Blocks changed since the last message: their rows, and per row one bit per block point. The values are read
   * from the latest snapshot when the message goes out (latest value wins), so nothing is kept per change.
   */
  private readonly changedRows: number[] = [];
  private readonly changedPoints: Uint32Array;
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
    const { topology } = options.model.current();
    this.changedPoints = new Uint32Array(topology.blockCount);
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
    for (const change of delta.changes) {
      if (change.scope !== "block") continue;
      const bit = BLOCK_POINT_BIT.get(change.point) ?? 0;
      const before = this.changedPoints[change.row];
      if (before === undefined || bit === 0) continue;
      if (before === 0) this.changedRows.push(change.row);
      this.changedPoints[change.row] = before | bit;
    }
    if (delta.alarmsChanged) this.alarmsChanged = true;
    this.schedule();
  }

  /** The changed blocks' latest values, and forgets them. */
  private takeChangedBlocks(snapshot: PlantSnapshot): Record<string, unknown>[] {
    const { strings, stringOfBlock } = snapshot.topology;
    const blocks = this.changedRows.map((row) => {
      const s = strings[stringOfBlock[row] ?? 0] as StringInfo;
      const mask = this.changedPoints[row] ?? 0;
      this.changedPoints[row] = 0;
      const values: Record<string, number | string | null> = {};
      BLOCK_POINTS.forEach((point, i) => {
        if (mask & (1 << i)) values[fieldOf(point)] = jsonValue(point, snapshot.value(point.id as PointId, row));
      });
      return { stringId: s.id, block: row - s.firstBlockRow + 1, values };
    });
    this.changedRows.length = 0;
    return blocks;
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
    if (this.changedRows.length > 0)
      this.broadcastEvent("blocks", { version: snapshot.version, blocks: this.takeChangedBlocks(snapshot) });
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
