import { createServer, type Socket } from "node:net";
import { PassThrough } from "node:stream";
import { ConsoleInterpreter } from "../../console/interpreter.js";
import { runSession, type TerminalOutput } from "../../console/session.js";
import type { Adapter, AdapterContext, Principal } from "../../core/adapter.js";
import { listenerUrl, listenOn } from "../../core/listen.js";
import type { TelnetConfig } from "./config-schema.js";
import { initialNegotiation, TelnetParser } from "./iac.js";

const MAX_LOGIN_FIELD = 256;
const LOGIN_ATTEMPTS = 3;

/**
 * Telnet console for legacy sites: off by default, logged as insecure when enabled (passwords travel in clear).
 * Same login chain and interpreter as SSH.
 */
export const telnetAdapter: Adapter<TelnetConfig> = {
  name: "telnet",
  async start(ctx) {
    const { config } = ctx;
    ctx.log.warn(
      "W_TELNET_INSECURE: the Telnet console is enabled; passwords and sessions travel unencrypted — prefer SSH",
    );
    const sockets = new Set<Socket>();
    const server = createServer((socket) => {
      ctx.health.count("connections");
      if (sockets.size >= config.maxSessions) {
        ctx.health.count("refused");
        socket.end("Too many sessions; try again later.\r\n");
        socket.destroySoon?.();
        return;
      }
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", (error) => ctx.log.debug({ err: error }, "telnet connection error"));
      void serve(ctx, socket).catch((error: unknown) => {
        ctx.log.debug({ err: error }, "telnet session ended with an error");
        socket.destroy();
      });
    });
    const port = await listenOn(server, config.host, config.port);
    ctx.health.listening(listenerUrl("telnet", config.host, port));
    ctx.defer(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });
  },
};

async function serve(ctx: AdapterContext<TelnetConfig>, socket: Socket): Promise<void> {
  const input = new PassThrough();
  const output = socket as Socket & TerminalOutput;
  output.columns = 80;
  output.rows = 24;
  const parser = new TelnetParser({
    data: (bytes) => input.write(bytes),
    reply: (bytes) => socket.write(bytes),
    resize: (columns, rows) => {
      output.columns = columns;
      output.rows = rows;
      output.emit("resize");
    },
    terminalType: (name) => ctx.log.debug({ terminal: name }, "telnet terminal type"),
  });
  socket.on("data", (chunk: Buffer) => parser.push(chunk));
  socket.on("close", () => input.end());
  socket.write(initialNegotiation());

  const loginTimer = setTimeout(() => socket.destroy(), ctx.config.loginTimeout || 60_000);
  socket.on("close", () => clearTimeout(loginTimer));
  const remote = socket.remoteAddress ?? "unknown";
  let principal: Principal | undefined;
  try {
    for (let attempt = 0; attempt < LOGIN_ATTEMPTS && !principal; attempt++) {
      const user = await readField(input, socket, "login: ", true);
      const password = await readField(input, socket, "Password: ", false);
      if (user === undefined || password === undefined) return;
      const result = await ctx.auth.authenticate(user, password, "telnet", remote);
      if (result.ok) principal = result.principal;
      else socket.write(result.reason === "locked" ? "Login locked; try again later.\r\n" : "Login incorrect.\r\n");
    }
  } finally {
    clearTimeout(loginTimer);
  }
  if (!principal) {
    socket.end();
    return;
  }
  ctx.health.count("logins");
  const site = ctx.model.current().topology.site;
  await runSession({
    input,
    output,
    interpreter: new ConsoleInterpreter(
      { model: ctx.model, auth: ctx.auth, commands: ctx.commands, services: ctx.services, protocol: "telnet" },
      principal,
      true,
    ),
    banner: `bmsgw console — ${site.name}, ${site.location}`,
    idleTimeoutMs: ctx.config.idleTimeout,
  });
  socket.end();
}

/** Reads one login field up to CR, echoing it (or not, for passwords), with backspace; undefined at end of input. */
function readField(input: PassThrough, socket: Socket, prompt: string, echo: boolean): Promise<string | undefined> {
  socket.write(prompt);
  return new Promise((resolve) => {
    let text = "";
    const done = (value: string | undefined) => {
      input.off("data", onData);
      input.off("end", onEnd);
      input.pause(); // keep what follows for the next reader
      resolve(value);
    };
    const onEnd = () => done(undefined);
    const onData = (chunk: Buffer) => {
      for (let i = 0; i < chunk.length; i++) {
        const byte = chunk[i] as number;
        if (byte === 13) {
          socket.write("\r\n");
          const rest = chunk.subarray(i + 1);
          if (rest.length > 0) input.unshift(rest);
          done(text);
          return;
        }
        if (byte === 8 || byte === 127) {
          if (text.length > 0) {
            text = text.slice(0, -1);
            if (echo) socket.write("\b \b");
          }
        } else if (byte >= 0x20 && text.length < MAX_LOGIN_FIELD) {
          text += String.fromCharCode(byte);
          if (echo) socket.write(Buffer.from([byte]));
        }
      }
    };
    input.on("data", onData);
    input.on("end", onEnd);
    input.resume();
  });
}
