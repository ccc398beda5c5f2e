/**
 * Transports of the syslog adapter on Node's dgram/net/tls. UDP is fire-and-forget (RFC 5426). TCP (RFC 6587) and
 * TLS (RFC 5425) keep a bounded queue, reconnect with back-off and send again what was written shortly before a
 * connection broke: plain syslog over TCP has no acknowledgement, so bytes the kernel accepted may still be lost when
 * the server restarts. The price is an occasional duplicate (receivers can tell by `[meta sequenceId]`).
 */
import dgram from "node:dgram";
import { readFileSync } from "node:fs";
import net from "node:net";
import tls from "node:tls";
import type { Logger } from "pino";
import { frameOctetCounting } from "./codec.js";
import type { SyslogDestination } from "./config-schema.js";

/** UDP datagrams are cut to this size (RFC 5426 §3.2: receivers should accept 2048 octets). */
export const UDP_MAX_OCTETS = 2048;

export interface SenderStats {
  readonly sent: number;
  readonly dropped: number;
  readonly queued: number;
  readonly resent: number;
  readonly connected: boolean;
  readonly failures: number;
  /** The last connection error, empty when none. */
  readonly error: string;
}

export interface SyslogSender {
  readonly destination: SyslogDestination;
  /** Queues one formatted syslog message. */
  send(message: string): void;
  /** Resolves true once everything queued has been handed to the network, false after `timeoutMs`. */
  flush(timeoutMs: number): Promise<boolean>;
  /** Sends what is queued (waiting up to `timeoutMs`), then closes. */
  close(timeoutMs?: number): Promise<void>;
  stats(): SenderStats;
}

export interface SenderOptions {
  readonly destination: SyslogDestination;
  readonly log: Logger;
  /** Formats the message that reports, once reconnected, how many messages the full queue dropped. */
  readonly dropNotice: (dropped: number) => string;
  /** Called when the connection state or a counter changes (for health). */
  readonly onChange?: (stats: SenderStats) => void;
}

export function createSender(options: SenderOptions): SyslogSender {
  return options.destination.transport === "udp" ? new UdpSender(options) : new StreamSender(options);
}

class UdpSender implements SyslogSender {
  readonly destination: SyslogDestination;
  private readonly socket: dgram.Socket;
  private sent = 0;
  private failures = 0;
  private pending = 0;
  private idle: (() => void)[] = [];

  constructor(private readonly options: SenderOptions) {
    this.destination = options.destination;
    this.socket = dgram.createSocket(net.isIPv6(this.destination.host) ? "udp6" : "udp4");
    this.socket.on("error", (error) => {
      this.failures++;
      options.log.warn({ err: error, destination: this.destination.name }, "syslog UDP socket error");
    });
  }

  send(message: string): void {
    let datagram = Buffer.from(message, "utf8");
    if (datagram.length > UDP_MAX_OCTETS) datagram = datagram.subarray(0, UDP_MAX_OCTETS);
    this.pending++;
    this.socket.send(datagram, this.destination.port, this.destination.host, (error) => {
      this.pending--;
      if (error) {
        this.failures++;
        this.options.log.warn(
          { err: error, destination: this.destination.name },
          "E_SYSLOG_SEND: a syslog datagram could not be sent; check the destination host",
        );
      } else this.sent++;
      this.options.onChange?.(this.stats());
      if (this.pending === 0) for (const done of this.idle.splice(0)) done();
    });
  }

  flush(timeoutMs: number): Promise<boolean> {
    if (this.pending === 0) return Promise.resolve(this.failures === 0);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.idle.push(() => {
        clearTimeout(timer);
        resolve(this.failures === 0);
      });
    });
  }

  async close(timeoutMs = 1000): Promise<void> {
    await this.flush(timeoutMs);
    this.socket.close();
  }

  stats(): SenderStats {
    return {
      sent: this.sent,
      dropped: 0,
      queued: this.pending,
      resent: 0,
      connected: true,
      failures: this.failures,
      error: "",
    };
  }
}

interface Frame {
  readonly bytes: Buffer;
  writtenAt: number;
}

class StreamSender implements SyslogSender {
  readonly destination: SyslogDestination;
  /** Waiting to be written, oldest first; `head` avoids O(n) shifts. */
  private queue: Frame[] = [];
  private head = 0;
  /** Written on the current connection, not yet old enough to count as received. */
  private unconfirmed: Frame[] = [];
  private socket: net.Socket | undefined;
  private connected = false;
  private writable = false;
  private closing = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private delay: number;
  private droppedUnreported = 0;
  private sent = 0;
  private dropped = 0;
  private resent = 0;
  private failures = 0;
  private lastError = "";
  private warnedOutage = false;
  private waiters: (() => void)[] = [];

  constructor(private readonly options: SenderOptions) {
    this.destination = options.destination;
    this.delay = this.destination.reconnect.initialDelay;
    this.connect();
  }

  private get queued(): number {
    return this.queue.length - this.head;
  }

  send(message: string): void {
    if (this.queued >= this.destination.queueSize) {
      // Drop oldest: the newest events describe the current state of the plant.
      this.head++;
      this.dropped++;
      this.droppedUnreported++;
      if (this.dropped === 1 || this.dropped % 1000 === 0)
        this.options.log.warn(
          { destination: this.destination.name, dropped: this.dropped, queueSize: this.destination.queueSize },
          "E_SYSLOG_QUEUE_FULL: syslog queue full, oldest messages dropped; check the server or raise queueSize",
        );
    }
    this.queue.push({ bytes: frameOctetCounting(message), writtenAt: 0 });
    this.pump();
    this.options.onChange?.(this.stats());
  }

  private connect(): void {
    if (this.closing) return;
    const d = this.destination;
    let socket: net.Socket;
    try {
      if (d.transport === "tls") {
        socket = tls.connect({
          host: d.host,
          port: d.port,
          servername: net.isIP(d.tls.serverName ?? d.host) ? undefined : (d.tls.serverName ?? d.host),
          ...(d.tls.serverName
            ? { checkServerIdentity: (_host, cert) => tls.checkServerIdentity(d.tls.serverName ?? d.host, cert) }
            : {}),
          ca: d.tls.caFile ? readFileSync(d.tls.caFile) : undefined,
          cert: d.tls.certFile ? readFileSync(d.tls.certFile) : undefined,
          key: d.tls.keyFile ? readFileSync(d.tls.keyFile) : undefined,
          minVersion: "TLSv1.2",
          rejectUnauthorized: true,
        });
        socket.once("secureConnect", () => this.onConnected(socket));
      } else {
        socket = net.connect({ host: d.host, port: d.port });
        socket.once("connect", () => this.onConnected(socket));
      }
    } catch (error) {
      // Unreadable certificate files and the like: report and retry, an operator may fix them meanwhile.
      this.onBroken(error as Error);
      return;
    }
    this.socket = socket;
    socket.setTimeout(15_000, () => {
      if (!this.connected) socket.destroy(new Error("connect timed out"));
    });
    socket.on("drain", () => {
      this.writable = true;
      this.pump();
    });
    socket.on("data", () => {}); // syslog servers send nothing; reading keeps FIN detection working
    socket.on("error", (error) => {
      this.lastError = error.message;
    });
    socket.on("close", () => {
      if (this.socket === socket) this.onBroken(new Error(this.lastError || "connection closed by the server"));
    });
  }

  private onConnected(socket: net.Socket): void {
    if (this.socket !== socket) return;
    this.connected = true;
    this.writable = true;
    this.lastError = "";
    this.warnedOutage = false;
    this.delay = this.destination.reconnect.initialDelay;
    socket.setTimeout(0);
    socket.setKeepAlive(true, 30_000);
    this.options.log.info({ destination: this.destination.name, queued: this.queued }, "syslog server connected");
    if (this.droppedUnreported > 0) {
      const notice = { bytes: frameOctetCounting(this.options.dropNotice(this.droppedUnreported)), writtenAt: 0 };
      this.queue.splice(this.head, 0, notice);
      this.droppedUnreported = 0;
    }
    this.options.onChange?.(this.stats());
    this.pump();
  }

  private onBroken(error: Error): void {
    const wasConnected = this.connected;
    this.connected = false;
    this.writable = false;
    this.socket?.destroy();
    this.socket = undefined;
    this.failures++;
    // What was written shortly before the break may not have reached the server: send it again first.
    const cutoff = Date.now() - this.destination.resendWindow;
    const again = this.unconfirmed.filter((f) => f.writtenAt >= cutoff);
    this.unconfirmed = [];
    if (again.length > 0) {
      this.resent += again.length;
      this.queue = [...again, ...this.queue.slice(this.head)];
      this.head = 0;
      // The bound holds for resent messages too: drop the oldest.
      const excess = this.queued - this.destination.queueSize;
      if (excess > 0) {
        this.head = excess;
        this.dropped += excess;
        this.droppedUnreported += excess;
      }
    }
    if (this.closing) return;
    // Warn once per outage (and on the very first failure); repeated attempts only at debug level.
    const level = wasConnected || !this.warnedOutage ? "warn" : "debug";
    this.warnedOutage = true;
    this.options.log[level](
      { destination: this.destination.name, err: error.message, retryInMs: this.delay, queued: this.queued },
      "E_SYSLOG_CONNECTION: syslog server unreachable; queueing and reconnecting",
    );
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.connect();
    }, this.delay);
    this.delay = Math.min(this.delay * 2, this.destination.reconnect.maxDelay);
    this.options.onChange?.(this.stats());
  }

  private pump(): void {
    const socket = this.socket;
    if (!socket || !this.connected) return;
    const now = Date.now();
    this.confirm(now, socket);
    while (this.writable && this.queued > 0) {
      const frame = this.queue[this.head++] as Frame;
      frame.writtenAt = now;
      this.unconfirmed.push(frame);
      this.sent++;
      this.writable = socket.write(frame.bytes, this.afterWrite);
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    this.afterWrite();
  }

  /** Resolves flush() waiters once the queue and Node's socket buffer are both empty. */
  private readonly afterWrite = (): void => {
    if (this.waiters.length === 0 || !this.connected || this.queued > 0) return;
    if ((this.socket?.writableLength ?? 0) === 0) for (const done of this.waiters.splice(0)) done();
  };

  /** Frames older than the resend window, with nothing left in Node's buffer, count as received. */
  private confirm(now: number, socket: net.Socket): void {
    if (socket.writableLength > 0 && this.unconfirmed.length <= this.destination.queueSize) return;
    const cutoff = now - this.destination.resendWindow;
    let keepFrom = 0;
    while (keepFrom < this.unconfirmed.length && (this.unconfirmed[keepFrom] as Frame).writtenAt < cutoff) keepFrom++;
    if (this.unconfirmed.length - keepFrom > this.destination.queueSize)
      keepFrom = this.unconfirmed.length - this.destination.queueSize;
    if (keepFrom > 0) this.unconfirmed = this.unconfirmed.slice(keepFrom);
  }

  flush(timeoutMs: number): Promise<boolean> {
    if (this.connected && this.queued === 0 && (this.socket?.writableLength ?? 0) === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve(false);
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.waiters.push(done);
      this.pump();
    });
  }

  async close(timeoutMs = 2000): Promise<void> {
    if (this.connected && this.queued > 0) await this.flush(timeoutMs);
    this.closing = true;
    clearTimeout(this.reconnectTimer);
    const socket = this.socket;
    this.socket = undefined;
    this.connected = false;
    if (this.queued > 0)
      this.options.log.warn(
        { destination: this.destination.name, lost: this.queued },
        "syslog messages still queued at shutdown were not sent",
      );
    if (!socket) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        socket.destroy();
        resolve();
      }, 500);
      socket.once("close", () => {
        clearTimeout(timer);
        resolve();
      });
      socket.end();
    });
  }

  stats(): SenderStats {
    return {
      sent: this.sent,
      dropped: this.dropped,
      queued: this.queued,
      resent: this.resent,
      connected: this.connected,
      failures: this.failures,
      error: this.lastError,
    };
  }
}
