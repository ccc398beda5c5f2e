/**
 * SSH console sessions of the whole-plant benchmark (a separate process): `sessions` ssh2 connections, each logged
 * in once, running `show` commands one after another (one exec channel each) with `thinkMs` between them.
 */
import { Client } from "ssh2";
import { z } from "zod";
import { Counter, clientProcess, sleep } from "../common.js";

const { settings, send, onMessage } = clientProcess(
  z.object({
    port: z.number(),
    user: z.string(),
    password: z.string(),
    sessions: z.number().int().min(1),
    thinkMs: z.number().min(0),
    strings: z.array(z.object({ id: z.number(), blocks: z.number() })),
  }),
);

const counter = new Counter();
let running = true;
onMessage((m) => {
  if (m.type === "stop") running = false;
});

function commandFor(n: number): string {
  const s = settings.strings[n % settings.strings.length] ?? { id: 1, blocks: 1 };
  const commands = [
    "show status",
    "show strings",
    "show alarms --json",
    "show buses",
    `show string ${s.id}`,
    `show block ${s.id}/${(n % s.blocks) + 1} --json`,
    `show blocks string ${s.id}`,
    "show events --since 5m",
  ];
  return commands[n % commands.length] as string;
}

function connect(): Promise<Client> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    client.once("ready", () => resolve(client));
    client.once("error", reject);
    client.connect({
      host: "127.0.0.1",
      port: settings.port,
      username: settings.user,
      password: settings.password,
      readyTimeout: 20_000,
    });
  });
}

function exec(client: Client, command: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    client.exec(command, (error, stream) => {
      if (error) return reject(error);
      let output = "";
      let code = -1;
      stream.on("data", (d: Buffer) => {
        output += d.toString();
      });
      stream.stderr.on("data", (d: Buffer) => {
        output += d.toString();
      });
      stream.on("exit", (c: number | null) => {
        code = c ?? -1;
      });
      stream.on("close", () => resolve({ code, output }));
    });
  });
}

async function session(index: number, first: Client): Promise<void> {
  let client = first;
  let n = index;
  while (running) {
    const command = commandFor(n++);
    try {
      const result = await exec(client, command);
      if (result.code === 0) counter.ok();
      else counter.error(`${command}: exit ${result.code}: ${result.output.slice(0, 200)}`);
      counter.add("bytes", result.output.length);
    } catch (error) {
      counter.error(`${command}: ${(error as Error).message}`);
      client.end();
      client = await connect();
    }
    await sleep(settings.thinkMs);
  }
  client.end();
}

const timer = setInterval(() => send(counter.message("ssh")), 1000);
const logins = await Promise.all(Array.from({ length: settings.sessions }, () => connect()));
send({ type: "ready" });
await Promise.all(logins.map((client, i) => session(i, client)));
clearInterval(timer);
send(counter.message("ssh"));
process.disconnect?.();
