/**
 * Modbus TCP server: MBAP framing over node:net. Requests are answered synchronously in arrival order, so
 * pipelined requests get their replies in order; the replies to one chunk go out in one write (TCP_NODELAY on).
 * A peer that breaks the framing is disconnected; nothing a peer sends can throw out of the data handler.
 */
import { createServer, type Server, type Socket } from "node:net";
import type { Logger } from "pino";
import type { HealthReporter } from "../../core/adapter.js";
import { listenOn } from "../../core/listen.js";
import { encodeMbap, MbapDecoder } from "./codec.js";
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
        const replies: Buffer[] = [];
        for (const f of frames) {
          const pdu = core.handle(f.unit, f.pdu, origin);
          if (pdu) replies.push(encodeMbap(f.transactionId, f.unit, pdu));
        }
        if (replies.length === 1) socket.write(replies[0] as Buffer);
        else if (replies.length > 1) socket.write(Buffer.concat(replies));
        if (socket.writableLength > MAX_QUEUED_OUTPUT) socket.destroy();
      } catch (error) {
        // A bug must not take the gateway down: drop this connection, keep serving the others.
        health.count("internalErrors");
        log.error({ err: error, remote }, "E_MODBUS_INTERNAL: request handling failed; connection closed");
        socket.destroy();
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
