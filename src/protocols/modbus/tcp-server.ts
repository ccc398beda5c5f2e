/**
 * Modbus TCP server: MBAP framing over node:net. Requests are answered synchronously in arrival order, so
 * pipelined requests get their replies in order; the replies to one chunk go out in one write (TCP_NODELAY on).
 * A settings write is the one request whose reply waits (for the configuration to accept it); the connection's
 * later requests wait behind it, so replies stay in order and a pipelined read sees the change.
 * A peer that breaks the framing is disconnected; nothing a peer sends can throw out of the data handler.
 */
import { createServer, type Server, type Socket } from "node:net";
import type { Logger } from "pino";
import type { HealthReporter } from "../../core/adapter.js";
import { listenOn } from "../../core/listen.js";
import { encodeMbap, MbapDecoder, type MbapFrame } from "./codec.js";
import type { ModbusServerCore } from "./server-core.js";

export interface TcpServerOptions {
  readonly host: string;
  readonly port: number;
  readonly maxConnections: number;
  /** ms; 0 = never. */
  readonly idleTimeout: number;
}

/** A peer that does not read its replies is cut off once this much output is queued. */
const MAX_QUEUED_OUTPUT = 1 << 20;
/** Requests a peer may pipeline behind a settings write that is still being applied. */
const MAX_WAITING_REQUESTS = 1024;

export interface ModbusTcpServer {
  readonly server: Server;
  readonly port: number;
  close(): Promise<void>;
}

export async function startModbusTcpServer(
  core: ModbusServerCore,
  options: TcpServerOptions,
  log: Logger,
  health: HealthReporter,
): Promise<ModbusTcpServer> {
  const sockets = new Set<Socket>();
  const server = createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    health.count("connections");
    socket.setNoDelay(true);
    if (options.idleTimeout > 0) socket.setTimeout(options.idleTimeout, () => socket.destroy());
    const remote = socket.remoteAddress ?? "unknown";
    const origin = { transport: "tcp" as const, remote };
    const decoder = new MbapDecoder();
    /** Frames waiting behind a reply that is not ready yet; undefined when nothing waits. */
    let waiting: MbapFrame[] | undefined;
    const fail = (error: unknown) => {
      // A bug must not take the gateway down: drop this connection, keep serving the others.
      health.count("internalErrors");
      log.error({ err: error, remote }, "E_MODBUS_INTERNAL: request handling failed; connection closed");
      socket.destroy();
    };
    /** Answers `frames` from `from` on, in order; stops at a reply that must wait and resumes when it is ready. */
    const answer = (frames: readonly MbapFrame[], from: number) => {
      const replies: Buffer[] = [];
      for (let i = from; i < frames.length; i++) {
        const f = frames[i] as MbapFrame;
        const pdu = core.handle(f.unit, f.pdu, origin);
        if (pdu instanceof Promise) {
          send(replies);
          waiting = [];
          void pdu.then((ready) => {
            if (socket.destroyed) return;
            socket.write(encodeMbap(f.transactionId, f.unit, ready));
            const later = [...frames.slice(i + 1), ...(waiting ?? [])];
            waiting = undefined;
            try {
              answer(later, 0);
            } catch (error) {
              fail(error);
            }
          });
          return;
        }
        if (pdu) replies.push(encodeMbap(f.transactionId, f.unit, pdu));
      }
      send(replies);
    };
    const send = (replies: Buffer[]) => {
      if (replies.length === 1) socket.write(replies[0] as Buffer);
      else if (replies.length > 1) socket.write(Buffer.concat(replies));
      if (socket.writableLength > MAX_QUEUED_OUTPUT) socket.destroy();
    };
    socket.on("data", (chunk: Buffer) => {
      try {
        const frames = decoder.push(chunk);
        if (typeof frames === "string") {
          health.count("framingErrors");
          log.debug({ remote, violation: frames }, "closing a Modbus TCP connection that broke the MBAP framing");
          socket.destroy();
          return;
        }
        if (frames.length === 0) return;
        if (waiting) {
          waiting.push(...frames);
          if (waiting.length > MAX_WAITING_REQUESTS) socket.destroy();
          return;
        }
        answer(frames, 0);
      } catch (error) {
        fail(error);
      }
    });
    socket.on("error", () => socket.destroy());
    socket.on("close", () => sockets.delete(socket));
  });
  server.maxConnections = options.maxConnections;
  server.on("drop", () => health.count("droppedConnections"));
  const port = await listenOn(server, options.host, options.port);
  server.on("error", (error) => log.error({ err: error }, "E_MODBUS_LISTENER: Modbus TCP listener error"));
  return {
    server,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
