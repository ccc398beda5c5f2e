/**
 * Syslog forwarding: every alarm transition, device event and audit record that passes a destination's filter is
 * formatted (RFC 5424 or RFC 3164) and sent over that destination's transport.
 */
import type { Logger } from "pino";
import type { Adapter } from "../../core/adapter.js";
import type { EventRecord } from "../../core/events.js";
import { formatRfc3164, formatRfc5424, type SyslogMessage } from "./codec.js";
import { FACILITIES, type SyslogDestination, type SyslogSection } from "./config-schema.js";
import { matchesFilter, msgId, SD_ID, SYSLOG_SEVERITY, structuredData, syslogSeverity } from "./mapping.js";
import { createSender, type SenderStats, type SyslogSender } from "./transport.js";

/** RFC 5424 §7.3.1 `meta` sequenceId: 1 … 2147483647, then wraps to 1. */
const MAX_SEQUENCE = 2_147_483_647;

/** Builds the wire text of one record for one destination. */
export function formatRecord(destination: SyslogDestination, record: EventRecord, sequenceId: number): string {
  const message: SyslogMessage = {
    facility: FACILITIES[destination.facility],
    severity: syslogSeverity(record),
    time: record.time,
    hostname: destination.hostname,
    appName: destination.appName,
    procId: String(process.pid),
    msgId: msgId(record.name),
    structuredData: [structuredData(record), { id: "meta", params: [["sequenceId", String(sequenceId)]] }],
    text: record.text,
  };
  return destination.format === "rfc3164" ? formatRfc3164(message) : formatRfc5424(message);
}

/** The message sent after a reconnect when a full queue dropped messages. */
export function formatDropNotice(destination: SyslogDestination, dropped: number, sequenceId: number): string {
  const message: SyslogMessage = {
    facility: FACILITIES[destination.facility],
    severity: SYSLOG_SEVERITY.warning,
    time: Date.now(),
    hostname: destination.hostname,
    appName: destination.appName,
    procId: String(process.pid),
    msgId: "syslog-queue-overflow",
    structuredData: [
      { id: SD_ID, params: [["dropped", String(dropped)]] },
      { id: "meta", params: [["sequenceId", String(sequenceId)]] },
    ],
    text: `${dropped} syslog message(s) were dropped while this server was unreachable (queue of ${destination.queueSize} full)`,
  };
  return destination.format === "rfc3164" ? formatRfc3164(message) : formatRfc5424(message);
}

/** One destination with its sender and sequence counter. */
class Destination {
  private sequence = 0;
  readonly sender: SyslogSender;

  constructor(
    readonly config: SyslogDestination,
    log: Logger,
    onChange: (stats: SenderStats) => void,
  ) {
    this.sender = createSender({
      destination: config,
      log,
      dropNotice: (dropped) => formatDropNotice(config, dropped, this.nextSequence()),
      onChange,
    });
  }

  nextSequence(): number {
    this.sequence = this.sequence >= MAX_SEQUENCE ? 1 : this.sequence + 1;
    return this.sequence;
  }

  forward(record: EventRecord): boolean {
    if (!matchesFilter(this.config.filter, record)) return false;
    this.sender.send(formatRecord(this.config, record, this.nextSequence()));
    return true;
  }
}

export const syslogAdapter: Adapter<SyslogSection> = {
  name: "syslog",
  async start(ctx) {
    const destinations: Destination[] = [];
    const seen = new Map<string, SenderStats>();
    const report = () => {
      const broken = destinations.filter((d) => !d.sender.stats().connected);
      if (broken.length === 0)
        ctx.health.set(
          "ok",
          `${destinations.length} destination(s): ${destinations.map((d) => d.config.name).join(", ")}`,
        );
      else
        ctx.health.set(
          "degraded",
          broken
            .map((d) => {
              const s = d.sender.stats();
              return `${d.config.name}: reconnecting, ${s.queued} queued${s.error ? ` (${s.error})` : ""}`;
            })
            .join("; "),
        );
    };
    for (const config of ctx.config.destinations) {
      if (!config.enabled) continue;
      const destination: Destination = new Destination(config, ctx.log, (stats) => {
        const before = seen.get(config.name);
        seen.set(config.name, stats);
        if (before && stats.dropped > before.dropped) ctx.health.count("dropped", stats.dropped - before.dropped);
        if (before && stats.resent > before.resent) ctx.health.count("resent", stats.resent - before.resent);
        if (!before || before.connected !== stats.connected) report();
      });
      destinations.push(destination);
    }
    const dispose = ctx.changes.on("event", (record) => {
      for (const destination of destinations) if (destination.forward(record)) ctx.health.count("messages");
    });
    ctx.defer(async () => {
      dispose();
      await Promise.all(destinations.map((d) => d.sender.close()));
    });
    for (const d of ctx.config.destinations)
      ctx.log.info(
        { destination: d.name, transport: d.transport, host: d.host, port: d.port, format: d.format },
        d.enabled ? "syslog destination configured" : "syslog destination disabled",
      );
    // The gateway marks the adapter ok after start; connection state follows as it changes.
    setImmediate(report);
  },
};

/** A record that says it is a test, for `bmsgw notify test`. */
export function testRecord(): EventRecord {
  return {
    seq: 0,
    time: Date.now(),
    kind: "event",
    eventId: 0,
    name: "notification-test",
    severity: "info",
    text: "Test message from bmsgw notify test: this destination receives the gateway's events.",
    detail: { test: "true" },
  };
}

/** Sends one test message to a destination, ignoring its filter; resolves with an error text on failure. */
export async function sendSyslogTest(
  destination: SyslogDestination,
  log: Logger,
  timeoutMs = 5000,
): Promise<{ ok: true } | { ok: false; error: string }> {
  let lastStats: SenderStats | undefined;
  const sender = createSender({
    destination,
    log,
    dropNotice: (dropped) => formatDropNotice(destination, dropped, 2),
    onChange: (stats) => {
      lastStats = stats;
    },
  });
  sender.send(formatRecord(destination, testRecord(), 1));
  const ok = await sender.flush(timeoutMs);
  await sender.close(100);
  if (ok) return { ok: true };
  const error = lastStats?.error || sender.stats().error;
  return { ok: false, error: `not delivered within ${timeoutMs} ms${error ? `: ${error}` : ""}` };
}
