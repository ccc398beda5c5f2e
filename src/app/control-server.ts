import { chmodSync, existsSync, unlinkSync } from "node:fs";
import { createConnection, createServer, type Server } from "node:net";
import { join } from "node:path";
import type { Logger } from "pino";
import { z } from "zod";
import type { CommandResult, GatewayCommands, HealthReport, ModelReader, Principal } from "../core/adapter.js";

/** Whoever can open the socket (mode 0600: the gateway's own OS user) acts as a local administrator. */
const LOCAL_ADMIN: Principal = { user: "local", roles: ["admin"], source: "control-socket" };

const requestSchema = z.discriminatedUnion("op", [
  z.object({ op: z.literal("sim"), args: z.array(z.string()).min(1) }),
  z.object({ op: z.literal("health") }),
  z.object({ op: z.literal("status") }),
  z.object({ op: z.literal("diagnostics"), reset: z.boolean().default(false) }),
]);
export type ControlRequest = z.infer<typeof requestSchema>;

export function controlSocketPath(storagePath: string): string {
  return join(storagePath, "control.sock");
}

/**
 * The local control socket: newline-delimited JSON requests from `bmsgw sim …` and other local tools, answered
 * with one JSON line each.
 */
export async function startControlServer(options: {
  storagePath: string;
  commands: GatewayCommands;
  model: ModelReader;
  health: () => HealthReport[];
  /** Process figures (memory, CPU, event-loop delay, sweeps); `reset` starts a new event-loop window. */
  diagnostics?: (reset: boolean) => unknown;
  log: Logger;
}): Promise<Server> {
  const path = controlSocketPath(options.storagePath);
  if (existsSync(path)) {
    // A socket left by a crashed gateway is removed; a live one means another gateway uses this storage path.
    const alive = await new Promise<boolean>((resolve) => {
      const probe = createConnection(path, () => {
        probe.destroy();
        resolve(true);
      });
      probe.on("error", () => resolve(false));
    });
    if (alive) throw new Error(`another gateway is running with storage path ${options.storagePath}`);
    unlinkSync(path);
  }
  const server = createServer((socket) => {
    let buffer = "";
    socket.on("error", () => socket.destroy());
    socket.on("data", async (chunk) => {
      buffer += chunk.toString("utf8");
      if (buffer.length > 65536) return socket.destroy();
      let newline = buffer.indexOf("\n");
      while (newline >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        socket.write(`${JSON.stringify(await answer(line))}\n`);
        newline = buffer.indexOf("\n");
      }
    });
  });
  const answer = async (line: string): Promise<CommandResult> => {
    let parsed: ControlRequest;
    try {
      const result = requestSchema.safeParse(JSON.parse(line));
      if (!result.success)
        return {
          ok: false,
          error: result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "),
          code: "E_REQUEST",
        };
      parsed = result.data;
    } catch {
      return { ok: false, error: "request is not JSON", code: "E_REQUEST" };
    }
    switch (parsed.op) {
      case "sim":
        return options.commands.run(LOCAL_ADMIN, { kind: "sim", args: parsed.args });
      case "health":
        return { ok: true, message: "health", data: options.health() };
      case "diagnostics":
        if (!options.diagnostics) return { ok: false, error: "no diagnostics in this process", code: "E_REQUEST" };
        return { ok: true, message: "diagnostics", data: options.diagnostics(parsed.reset) };
      case "status": {
        const s = options.model.current();
        return {
          ok: true,
          message: "status",
          data: { version: s.version, time: s.time, strings: s.topology.strings.length, blocks: s.topology.blockCount },
        };
      }
    }
  };
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(path, () => resolve());
  });
  chmodSync(path, 0o600);
  options.log.debug({ path }, "control socket listening");
  return server;
}

/** Sends one request to a running gateway's control socket. */
export function sendControlRequest(
  storagePath: string,
  request: ControlRequest,
  timeoutMs = 5000,
): Promise<CommandResult> {
  const path = controlSocketPath(storagePath);
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    let buffer = "";
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer from the gateway on ${path}`));
    }, timeoutMs);
    socket.on("connect", () => socket.write(`${JSON.stringify(request)}\n`));
    socket.on("data", (chunk) => {
      buffer += chunk.toString("utf8");
      const newline = buffer.indexOf("\n");
      if (newline < 0) return;
      clearTimeout(timer);
      socket.end();
      resolve(JSON.parse(buffer.slice(0, newline)) as CommandResult);
    });
    socket.on("error", (error) => {
      clearTimeout(timer);
      reject(
        new Error(
          `cannot reach a running gateway at ${path} (${(error as NodeJS.ErrnoException).code ?? error.message}); is it started with this config?`,
        ),
      );
    });
  });
}
