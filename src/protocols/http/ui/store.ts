/// <reference lib="dom" />
import type { Alarm, Api, BlockPage, BlockRow, EventRecord, Plant, Severity, Thresholds } from "./api.js";

/**
 * The live state of the dashboard: the plant overview, the alarm list and the block rows of the strings a page
 * asked for, kept current by the Server-Sent Events stream (/api/live). Pages subscribe and re-render what changed;
 * nothing polls and nothing reloads.
 */

type Topic = "plant" | "alarms" | "blocks" | "event" | "connection";
type Listener = (detail?: unknown) => void;

const SEVERITY_RANK: Record<Severity, number> = { info: 1, warning: 2, critical: 3 };

export interface StringBlocks {
  readonly stringId: number;
  rows: BlockRow[];
  thresholds: Thresholds;
}

export class LiveStore {
  plant: Plant | undefined;
  alarms: Alarm[] = [];
  connected = false;
  private readonly blocks = new Map<number, StringBlocks>();
  private readonly loading = new Map<number, Promise<StringBlocks>>();
  private readonly listeners = new Map<Topic, Set<Listener>>();
  private source: EventSource | undefined;

  constructor(private readonly api: Api) {}

  on(topic: Topic, listener: Listener): () => void {
    let set = this.listeners.get(topic);
    if (!set) {
      set = new Set();
      this.listeners.set(topic, set);
    }
    set.add(listener);
    return () => set.delete(listener);
  }

  private emit(topic: Topic, detail?: unknown): void {
    for (const listener of this.listeners.get(topic) ?? []) {
      try {
        listener(detail);
      } catch (error) {
        console.error(`live ${topic} listener failed`, error);
      }
    }
  }

  async start(): Promise<void> {
    const [plant, alarms] = await Promise.all([
      this.api.get<Plant>("/api/plant"),
      this.api.get<Alarm[]>("/api/alarms"),
    ]);
    this.plant = plant;
    this.alarms = alarms;
    this.connect();
  }

  stop(): void {
    this.source?.close();
    this.source = undefined;
    this.blocks.clear();
  }

  private connect(): void {
    const source = new EventSource("/api/live");
    this.source = source;
    source.addEventListener("open", () => {
      this.connected = true;
      this.emit("connection");
    });
    source.addEventListener("error", () => {
      this.connected = false;
      this.emit("connection");
    });
    source.addEventListener("plant", (e) => {
      this.plant = JSON.parse((e as MessageEvent<string>).data) as Plant;
      this.emit("plant");
    });
    source.addEventListener("alarms", (e) => {
      this.alarms = (JSON.parse((e as MessageEvent<string>).data) as { alarms: Alarm[] }).alarms;
      for (const entry of this.blocks.values()) this.applyAlarmSeverities(entry);
      this.emit("alarms");
      this.emit("blocks");
    });
    source.addEventListener("blocks", (e) => {
      const { blocks } = JSON.parse((e as MessageEvent<string>).data) as {
        blocks: { stringId: number; block: number; values: Record<string, number | string | null> }[];
      };
      let touched = false;
      for (const change of blocks) {
        const row = this.blocks.get(change.stringId)?.rows[change.block - 1];
        if (!row) continue;
        Object.assign(row, change.values);
        row.quality = row.voltage === null ? "stale" : "good";
        touched = true;
      }
      if (touched) this.emit("blocks");
    });
    source.addEventListener("event", (e) => {
      this.emit("event", JSON.parse((e as MessageEvent<string>).data) as EventRecord);
    });
  }

  /** The block rows of a string, fetched once and then kept live. */
  stringBlocks(stringId: number): Promise<StringBlocks> {
    const known = this.blocks.get(stringId);
    if (known) return Promise.resolve(known);
    let pending = this.loading.get(stringId);
    if (!pending) {
      pending = this.api
        .get<BlockPage>(`/api/strings/${stringId}/blocks`, { limit: 10_000 })
        .then((page) => {
          const entry: StringBlocks = { stringId, rows: page.blocks, thresholds: page.thresholds };
          this.applyAlarmSeverities(entry);
          this.blocks.set(stringId, entry);
          return entry;
        })
        .finally(() => this.loading.delete(stringId));
      this.loading.set(stringId, pending);
    }
    return pending;
  }

  /** Drops cached block rows, e.g. after thresholds changed in the settings. */
  invalidateBlocks(): void {
    this.blocks.clear();
  }

  private applyAlarmSeverities(entry: StringBlocks): void {
    const severities = new Map<number, Severity>();
    for (const a of this.alarms) {
      if (a.stringId !== entry.stringId || a.block === undefined) continue;
      const current = severities.get(a.block);
      if (!current || SEVERITY_RANK[a.severity] > SEVERITY_RANK[current]) severities.set(a.block, a.severity);
    }
    for (const row of entry.rows) row.alarm = severities.get(row.block) ?? null;
  }
}
