/**
 * Web clients of the whole-plant benchmark (a separate process): `clients` sessions log in through
 * `POST /api/login` and keep `GET /api/live` (Server-Sent Events) open; every `event` message of the scenario's alarm
 * is reported with the time it arrived. The gateway serves HTTPS with its self-signed certificate on loopback, so the
 * certificate is not verified here.
 */
import https from "node:https";
import { z } from "zod";
import { Counter, clientProcess, now, SCENARIO_EVENT_ID, sleep } from "../common.js";

const { settings, send, onMessage } = clientProcess(
  z.object({ port: z.number(), user: z.string(), password: z.string(), clients: z.number().int().min(1) }),
);

const eventSchema = z.looseObject({
  kind: z.string(),
  eventId: z.number(),
  stringId: z.number().optional(),
  block: z.number().optional(),
});

const counter = new Counter();
let running = true;
const requests: ReturnType<typeof https.request>[] = [];
onMessage((m) => {
  if (m.type !== "stop") return;
  running = false;
  for (const r of requests) r.destroy();
});

function login(): Promise<string> {
  const body = JSON.stringify({ username: settings.user, password: settings.password });
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: "127.0.0.1",
        port: settings.port,
        path: "/api/login",
        method: "POST",
        rejectUnauthorized: false,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        const cookie = (res.headers["set-cookie"] ?? []).map((c) => c.split(";")[0]).join("; ");
        if (res.statusCode === 200 && cookie) resolve(cookie);
        else reject(new Error(`login: HTTP ${res.statusCode}`));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** Opens the live stream and resolves once it answers 200; messages are handled until the stream ends. */
function live(index: number, cookie: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = https.get(
      {
        host: "127.0.0.1",
        port: settings.port,
        path: "/api/live",
        rejectUnauthorized: false,
        headers: { cookie, accept: "text/event-stream" },
      },
      (res) => {
        if (res.statusCode !== 200) return reject(new Error(`live: HTTP ${res.statusCode}`));
        counter.ok();
        resolve();
        let buffer = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          buffer += chunk;
          let end = buffer.indexOf("\n\n");
          while (end >= 0) {
            handle(index, buffer.slice(0, end));
            buffer = buffer.slice(end + 2);
            end = buffer.indexOf("\n\n");
          }
        });
        res.on("end", () => {
          if (running) counter.error(`live stream ${index} ended`);
        });
      },
    );
    req.on("error", (error) => {
      if (running) counter.error(`live stream ${index}: ${error.message}`);
      reject(error);
    });
    requests.push(req);
  });
}

function handle(index: number, message: string): void {
  const time = now();
  let name = "message";
  let data = "";
  for (const line of message.split("\n")) {
    if (line.startsWith("event:")) name = line.slice(6).trim();
    else if (line.startsWith("data:")) data += line.slice(5).trim();
  }
  counter.add(`messages:${name}`);
  if (name !== "event") return;
  const parsed = eventSchema.safeParse(JSON.parse(data));
  if (!parsed.success) {
    counter.error(`event message not understood: ${data.slice(0, 200)}`);
    return;
  }
  const e = parsed.data;
  if (e.eventId !== SCENARIO_EVENT_ID || e.stringId === undefined) return;
  if (e.kind !== "alarm-raised" && e.kind !== "alarm-cleared") return;
  const state = e.kind === "alarm-raised" ? "raised" : "cleared";
  send({
    type: "seen",
    destination: "web",
    state,
    eventId: e.eventId,
    stringId: e.stringId,
    block: e.block,
    observer: index,
    time,
  });
}

const timer = setInterval(() => send(counter.message("web")), 1000);
await Promise.all(Array.from({ length: settings.clients }, async (_, i) => live(i, await login())));
send({ type: "ready" });
while (running) await sleep(100);
clearInterval(timer);
send(counter.message("web"));
process.disconnect?.();
