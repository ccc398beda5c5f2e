import { join } from "node:path";
import type { CoreService } from "../service.js";
import type { HistoryConfig } from "./config-schema.js";
import { createHistoryReader } from "./reader.js";
import { HistorySampler } from "./sampler.js";
import { SqliteHistoryStore } from "./sqlite-history-store.js";

const PRUNE_EVERY_MS = 3_600_000;

/**
 * Measurement history: a timer samples the latest snapshot (interval + significant change) and keeps per-minute
 * and per-hour roll-ups; rows are committed in batches to `history.db` under storage.path (SQLite, WAL).
 */
export const historyService: CoreService<HistoryConfig> = {
  name: "history",
  async start(ctx) {
    if (!ctx.config.enabled) {
      ctx.health.set("stopped", "history disabled in config");
      return;
    }
    const file = join(ctx.storagePath, "history.db");
    const store = new SqliteHistoryStore(file, {
      flushInterval: ctx.config.flushInterval,
      flushRows: ctx.config.flushRows,
      cacheMB: ctx.config.cacheMB,
      onCommit: (rows, rawRows) => {
        ctx.health.count("rows", rows);
        ctx.health.count("rawRows", rawRows);
      },
      onError: (error, rowsDropped) => {
        ctx.health.count("rowsDropped", rowsDropped);
        ctx.health.set("degraded", `E_HISTORY_WRITE: ${error.message}`);
        ctx.log.error(
          { err: error, file, rowsDropped },
          "E_HISTORY_WRITE: history rows could not be written and were dropped; check storage.path and disk space",
        );
      },
    });
    const sampler = new HistorySampler(ctx.store.topology, ctx.config, store);
    sampler.resume(Date.now());
    const tick = () => {
      try {
        sampler.tick(ctx.store.snapshot(), Date.now());
      } catch (error) {
        ctx.health.set("degraded", `E_HISTORY_WRITE: ${(error as Error).message}`);
        ctx.log.error(
          { err: error, file },
          "E_HISTORY_WRITE: history sample failed; check storage.path and disk space",
        );
      }
    };
    const timer = setInterval(tick, ctx.config.tick);
    const prune = () => {
      const now = Date.now();
      const r = ctx.config.retention;
      try {
        store.prune({ raw: now - r.raw, minute: now - r.minute, hour: now - r.hour });
      } catch (error) {
        ctx.log.error({ err: error }, "E_HISTORY_PRUNE: history retention failed");
      }
    };
    const pruneTimer = setInterval(prune, PRUNE_EVERY_MS);
    pruneTimer.unref();
    prune();
    ctx.defer(() => {
      clearInterval(timer);
      clearInterval(pruneTimer);
      sampler.finish();
      store.close();
    });
    ctx.provide({ history: createHistoryReader(ctx.store.topology, store) });
    ctx.health.set("ok", `${sampler.seriesCount} series → ${file}`);
  },
};
