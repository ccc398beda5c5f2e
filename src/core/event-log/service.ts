import { join } from "node:path";
import type { CoreService } from "../service.js";
import type { EventLogConfig } from "./config-schema.js";
import { SqliteEventLog } from "./sqlite-event-log.js";

const PRUNE_EVERY_MS = 3_600_000;

/**
 * Persists every event on the bus (alarm transitions, device events, audit records) in `events.db` under
 * storage.path, stamps its sequence number, applies retention hourly, and offers the query API to adapters.
 */
export const eventLogService: CoreService<EventLogConfig> = {
  name: "event-log",
  async start(ctx) {
    const file = join(ctx.storagePath, "events.db");
    let log: SqliteEventLog;
    try {
      log = new SqliteEventLog(file, ctx.config);
    } catch (error) {
      ctx.health.set("down", `E_EVENTLOG_OPEN: cannot open ${file}: ${(error as Error).message}`);
      throw error;
    }
    ctx.defer(() => log.close());
    ctx.defer(
      ctx.bus.on("event", (record) => {
        log.append(record);
        ctx.health.count("events");
      }),
    );
    const prune = () => {
      try {
        const { deleted } = log.prune();
        if (deleted > 0) ctx.log.info({ deleted }, "event log retention deleted old events");
      } catch (error) {
        ctx.log.error({ err: error }, "E_EVENTLOG_PRUNE: event log retention failed; check storage.path");
      }
    };
    prune();
    const timer = setInterval(prune, PRUNE_EVERY_MS);
    timer.unref();
    ctx.defer(() => clearInterval(timer));
    ctx.provide({ eventLog: log });
    ctx.health.set("ok", `${file}, last seq ${log.lastSeq()}`);
  },
};
