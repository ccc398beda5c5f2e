import { Writable } from "node:stream";
import { type Logger, pino } from "pino";

const LEVELS: Record<number, string> = { 10: "TRACE", 20: "DEBUG", 30: "INFO ", 40: "WARN ", 50: "ERROR", 60: "FATAL" };
const COLOURS: Record<number, string> = { 40: "\x1b[33m", 50: "\x1b[31m", 60: "\x1b[31m" };
const SKIP = new Set(["level", "time", "pid", "hostname", "msg", "component"]);

/** Human-readable lines for a terminal: `12:00:01 INFO  poller: message key=value`. */
function ttyStream(colour: boolean): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString("utf8").split("\n")) {
        if (!line) continue;
        try {
          const rec = JSON.parse(line) as Record<string, unknown>;
          const level = Number(rec.level);
          const time = new Date(Number(rec.time)).toISOString().slice(11, 19);
          const extras = Object.entries(rec)
            .filter(([k]) => !SKIP.has(k))
            .map(([k, v]) => `${k}=${typeof v === "object" ? JSON.stringify(v) : String(v)}`)
            .join(" ");
          const head = `${time} ${LEVELS[level] ?? level} ${rec.component ? `${rec.component}: ` : ""}`;
          const text = `${head}${rec.msg ?? ""}${extras ? ` ${extras}` : ""}`;
          const c = colour ? COLOURS[level] : undefined;
          process.stdout.write(c ? `${c}${text}\x1b[0m\n` : `${text}\n`);
        } catch {
          process.stdout.write(`${line}\n`);
        }
      }
      done();
    },
  });
}

/** Structured JSON logs, or readable lines when stdout is a terminal (or BMSGW_LOG_FORMAT=pretty). */
export function createLogger(level = "info"): Logger {
  const format = process.env.BMSGW_LOG_FORMAT ?? (process.stdout.isTTY ? "pretty" : "json");
  const options = {
    level,
    base: undefined,
    redact: { paths: ["password", "*.password", "secret", "*.secret"], censor: "[redacted]" },
  };
  return format === "pretty" ? pino(options, ttyStream(Boolean(process.stdout.isTTY))) : pino(options);
}
