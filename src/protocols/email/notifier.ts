/**
 * Rate limiting, digesting and retrying of notification mails. Under the limit each event is one mail; beyond it,
 * events are collected and sent as one digest per severity every digest window, so a burst of alarms becomes a few
 * mails instead of hundreds. Temporary failures (SMTP 4xx, connection problems) are retried with doubling delay.
 */
import { readFileSync } from "node:fs";
import net from "node:net";
import nodemailer, { type Transporter } from "nodemailer";
import type SMTPTransport from "nodemailer/lib/smtp-transport/index.js";
import type { Logger } from "pino";
import type { HealthReporter } from "../../core/adapter.js";
import type { EventRecord, Severity } from "../../core/events.js";
import type { EmailConfig } from "./config-schema.js";
import { digestMail, type MailContent, type MailContext, matchesFilter, recipientsFor, singleMail } from "./mapping.js";

/** Builds the nodemailer SMTP transport from the validated config. */
export function createMailTransport(config: EmailConfig): Transporter<SMTPTransport.SentMessageInfo> {
  const secure = config.security === "tls";
  const port = config.port ?? (secure ? 465 : config.security === "starttls" ? 587 : 25);
  const host = config.host ?? "localhost";
  const pass = config.auth
    ? (config.auth.pass ?? readConfigFile(config.auth.passFile ?? "", "auth.passFile").split(/\r?\n/)[0])
    : undefined;
  const serverName = config.tls.serverName ?? host;
  const options: SMTPTransport.Options = {
    host,
    port,
    secure,
    requireTLS: config.security === "starttls",
    ignoreTLS: config.security === "none",
    auth: config.auth ? { user: config.auth.user, pass } : undefined,
    connectionTimeout: config.timeout,
    greetingTimeout: config.timeout,
    socketTimeout: config.timeout * 2,
    tls: {
      minVersion: "TLSv1.2",
      rejectUnauthorized: true,
      ca: config.tls.caFile ? readConfigFile(config.tls.caFile, "tls.caFile") : undefined,
      servername: net.isIP(serverName) ? undefined : serverName,
    },
  };
  return nodemailer.createTransport(options);
}

/** Reads a file named in the config; the error names the setting so an operator knows what to fix. */
function readConfigFile(file: string, setting: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    throw new Error(
      `E_EMAIL_CONFIG: cannot read notifications.email.${setting} ${file} (${(error as Error).message}); fix the path or permissions`,
    );
  }
}

/** SMTP 4xx replies and network failures are worth another try; 5xx and auth failures are not. */
export function isTemporary(error: unknown): boolean {
  const e = error as { responseCode?: number; code?: string };
  if (typeof e.responseCode === "number") return e.responseCode >= 400 && e.responseCode < 500;
  return ["ECONNECTION", "ETIMEDOUT", "ESOCKET", "EDNS", "ECONNREFUSED", "ECONNRESET"].includes(e.code ?? "");
}

export interface NotifierOptions {
  readonly config: EmailConfig;
  readonly transport: Pick<Transporter<SMTPTransport.SentMessageInfo>, "sendMail" | "close">;
  readonly context: () => MailContext;
  readonly log: Logger;
  readonly health?: HealthReporter;
}

export class MailNotifier {
  /** Send times of single mails within the rate-limit window. */
  private sentTimes: number[] = [];
  private readonly held = new Map<Severity, EventRecord[]>();
  private digestTimer: NodeJS.Timeout | undefined;
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<Promise<void>>();
  private closed = false;

  constructor(private readonly options: NotifierOptions) {}

  /** Takes one event from the bus. */
  handle(record: EventRecord): void {
    const { config } = this.options;
    if (this.closed || !matchesFilter(config.filter, record)) return;
    const to = recipientsFor(config, record);
    if (to.length === 0) return;
    if (this.allowSingle(Date.now())) {
      this.deliver(to, singleMail(record, this.options.context()), 0);
      return;
    }
    const list = this.held.get(record.severity) ?? [];
    list.push(record);
    this.held.set(record.severity, list);
    this.options.health?.count("digested");
    this.digestTimer ??= setTimeout(() => {
      this.digestTimer = undefined;
      this.flushDigest();
    }, config.digestWindow);
  }

  private allowSingle(now: number): boolean {
    const { maxMessages, window } = this.options.config.rateLimit;
    this.sentTimes = this.sentTimes.filter((t) => t > now - window);
    // Once a digest is pending, later events join it so the order people read stays the order things happened.
    if (this.sentTimes.length >= maxMessages || this.held.size > 0) return false;
    this.sentTimes.push(now);
    return true;
  }

  /** Sends one digest per severity for everything held back. */
  flushDigest(): void {
    const window = describeDuration(this.options.config.rateLimit.window);
    const limit = this.options.config.rateLimit.maxMessages;
    for (const [severity, records] of this.held) {
      const to = this.options.config.recipients[severity];
      this.deliver(
        to,
        digestMail(records, this.options.context(), `held back by the limit of ${limit} mails per ${window}`),
        0,
      );
    }
    this.held.clear();
  }

  private deliver(to: readonly string[], content: MailContent, attempt: number): void {
    const { config, log, health } = this.options;
    const sending = this.options.transport
      .sendMail({
        from: config.from,
        to: [...to],
        subject: content.subject,
        text: content.text,
        headers: { "Auto-Submitted": "auto-generated" },
      })
      .then(
        () => {
          health?.count("sent");
        },
        (error: unknown) => {
          const retry = config.retry;
          if (isTemporary(error) && attempt < retry.attempts && !this.closed) {
            const delay = Math.min(retry.initialDelay * 2 ** attempt, retry.maxDelay);
            health?.count("retries");
            log.warn(
              { err: error, subject: content.subject, attempt: attempt + 1, retryInMs: delay },
              "E_EMAIL_TEMPORARY: mail not accepted for now; retrying",
            );
            const timer = setTimeout(() => {
              this.retryTimers.delete(timer);
              this.deliver(to, content, attempt + 1);
            }, delay);
            this.retryTimers.add(timer);
            return;
          }
          health?.count("failed");
          log.error(
            { err: error, subject: content.subject, to },
            "E_EMAIL_SEND: notification mail could not be delivered; check the SMTP settings, credentials and recipients",
          );
        },
      );
    this.inFlight.add(sending);
    void sending.finally(() => this.inFlight.delete(sending));
  }

  /** Sends a pending digest, waits for mails in flight (up to `timeoutMs`), drops pending retries, closes. */
  async close(timeoutMs = 5000): Promise<void> {
    clearTimeout(this.digestTimer);
    this.digestTimer = undefined;
    if (this.held.size > 0) this.flushDigest();
    this.closed = true;
    for (const timer of this.retryTimers) clearTimeout(timer);
    if (this.retryTimers.size > 0)
      this.options.log.warn({ pending: this.retryTimers.size }, "mails waiting for a retry were not sent at shutdown");
    this.retryTimers.clear();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.inFlight]),
      new Promise((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    this.options.transport.close();
  }
}

function describeDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  if (ms % 1000 === 0) return `${ms / 1000} s`;
  return `${ms} ms`;
}
