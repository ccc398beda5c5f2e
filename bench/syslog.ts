/**
 * Syslog forwarding throughput: RFC 5424 formatting of event records, and end-to-end delivery of a burst over TCP
 * (RFC 6587 octet counting) and TLS (RFC 5425) to a local receiver that counts frames — how fast a burst of alarms
 * empties the queue. Loopback only.
 *
 *   npx tsx bench/syslog.ts [messages]
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import tls from "node:tls";
import { pino } from "pino";
import type { EventRecord } from "../src/core/events.js";
import { formatRecord } from "../src/protocols/syslog/adapter.js";
import { type SyslogDestination, syslogDestinationSchema } from "../src/protocols/syslog/config-schema.js";
import { createSender } from "../src/protocols/syslog/transport.js";

const COUNT = Number(process.argv[2] ?? 100_000);
const log = pino({ level: "silent" });

const record = (i: number): EventRecord => ({
  seq: i,
  time: Date.now(),
  kind: "alarm-raised",
  eventId: 102,
  name: "block-voltage-low",
  severity: "warning",
  stringId: 1 + (i % 4),
  block: 1 + (i % 120),
  value: 1.712,
  threshold: 1.75,
  detail: { alarm: String(i) },
  text: `String ${1 + (i % 4)} block ${1 + (i % 120)}: block voltage below the low warning level`,
});

/** Counts octet-counted frames on one connection. */
function frameCounter(onFrames: (n: number) => void): (chunk: Buffer) => void {
  let pending = Buffer.alloc(0);
  return (chunk) => {
    pending = Buffer.concat([pending, chunk]);
    let frames = 0;
    for (;;) {
      const space = pending.indexOf(0x20);
      if (space < 0) break;
      const length = Number(pending.subarray(0, space).toString("ascii"));
      if (pending.length < space + 1 + length) break;
      pending = pending.subarray(space + 1 + length);
      frames++;
    }
    onFrames(frames);
  };
}

async function burst(destination: SyslogDestination, server: net.Server): Promise<number> {
  let received = 0;
  let done: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    done = resolve;
  });
  server.on(destination.transport === "tls" ? "secureConnection" : "connection", (socket: net.Socket) =>
    socket.on(
      "data",
      frameCounter((n) => {
        received += n;
        if (received >= COUNT) done();
      }),
    ),
  );
  const sender = createSender({ destination, log, dropNotice: () => "" });
  await sender.flush(5000);
  const started = performance.now();
  for (let i = 0; i < COUNT; i++) sender.send(formatRecord(destination, record(i), i + 1));
  await finished;
  const seconds = (performance.now() - started) / 1000;
  await sender.close();
  return COUNT / seconds;
}

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve((server.address() as net.AddressInfo).port)),
  );
}

const base = { host: "127.0.0.1", hostname: "bench", queueSize: COUNT + 10 };

// Formatting alone.
{
  const destination = syslogDestinationSchema.parse({ ...base, port: 514 });
  const started = performance.now();
  let bytes = 0;
  for (let i = 0; i < COUNT; i++) bytes += formatRecord(destination, record(i), i + 1).length;
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `format RFC 5424: ${Math.round(COUNT / seconds).toLocaleString("en")} msg/s (${Math.round(bytes / COUNT)} bytes each)`,
  );
}

// TCP.
{
  const server = net.createServer();
  const port = await listen(server);
  const rate = await burst(syslogDestinationSchema.parse({ ...base, transport: "tcp", port }), server);
  console.log(`TCP burst of ${COUNT.toLocaleString("en")}: ${Math.round(rate).toLocaleString("en")} msg/s delivered`);
  server.close();
}

// TLS with a throw-away certificate.
{
  const dir = mkdtempSync(join(tmpdir(), "bmsgw-bench-"));
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      join(dir, "key.pem"),
      "-out",
      join(dir, "cert.pem"),
      "-days",
      "1",
      "-subj",
      "/CN=localhost",
      "-addext",
      "subjectAltName=IP:127.0.0.1",
    ],
    { stdio: "pipe" },
  );
  writeFileSync(join(dir, "ca.pem"), readFileSync(join(dir, "cert.pem")));
  const server = tls.createServer({
    key: readFileSync(join(dir, "key.pem")),
    cert: readFileSync(join(dir, "cert.pem")),
  });
  const port = await listen(server);
  const rate = await burst(
    syslogDestinationSchema.parse({ ...base, transport: "tls", port, tls: { caFile: join(dir, "ca.pem") } }),
    server,
  );
  console.log(`TLS burst of ${COUNT.toLocaleString("en")}: ${Math.round(rate).toLocaleString("en")} msg/s delivered`);
  server.close();
  rmSync(dir, { recursive: true, force: true });
}
