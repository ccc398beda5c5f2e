import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { SMTPServer, type SMTPServerSession } from "smtp-server";

/** One mail the test server accepted, with what the session looked like when it arrived. */
export interface ReceivedMail {
  readonly from: string;
  readonly to: string[];
  readonly secure: boolean;
  readonly user: string | undefined;
  readonly headers: Map<string, string>;
  readonly subject: string;
  readonly body: string;
}

export interface SmtpPeerOptions {
  readonly certFile: string;
  readonly keyFile: string;
  readonly user: string;
  readonly pass: string;
  /** Answer the next N DATA commands with 451 (temporary failure). */
  readonly failNext?: number;
  /** Do not support STARTTLS (a server that would make the client send everything in clear). */
  readonly noStartTls?: boolean;
}

/** A real SMTP server (the `smtp-server` package) on 127.0.0.1 with STARTTLS and required authentication. */
export class SmtpPeer {
  readonly mails: ReceivedMail[] = [];
  /** Connections seen (accepted sessions). */
  connections = 0;
  failNext: number;
  authFailures = 0;
  private server: SMTPServer;
  port = 0;

  constructor(options: SmtpPeerOptions) {
    this.failNext = options.failNext ?? 0;
    this.server = new SMTPServer({
      key: readFileSync(options.keyFile),
      cert: readFileSync(options.certFile),
      authMethods: ["PLAIN", "LOGIN"],
      allowInsecureAuth: false,
      disabledCommands: options.noStartTls ? ["STARTTLS"] : [],
      logger: false,
      onConnect: (_session, callback) => {
        this.connections++;
        callback();
      },
      onAuth: (auth, _session, callback) => {
        if (auth.username === options.user && auth.password === options.pass)
          return callback(null, { user: auth.username });
        this.authFailures++;
        return callback(new Error("Invalid username or password"));
      },
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on("data", (c: Buffer) => chunks.push(c));
        stream.on("end", () => {
          if (this.failNext > 0) {
            this.failNext--;
            const error = new Error("Try again later") as Error & { responseCode: number };
            error.responseCode = 451;
            return callback(error);
          }
          this.mails.push(parseMail(Buffer.concat(chunks).toString("utf8"), session));
          callback();
        });
      },
    });
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", () => resolve()));
    this.port = (this.server.server.address() as AddressInfo).port;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  async waitForMails(count: number, timeoutMs = 10_000): Promise<ReceivedMail[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.mails.length < count) {
      if (Date.now() > deadline) throw new Error(`expected ${count} mails, got ${this.mails.length}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return this.mails;
  }
}

function parseMail(raw: string, session: SMTPServerSession): ReceivedMail {
  const split = raw.indexOf("\r\n\r\n");
  const headerText = raw.slice(0, split).replace(/\r\n[ \t]+/g, " ");
  const headers = new Map<string, string>();
  for (const line of headerText.split("\r\n")) {
    const colon = line.indexOf(":");
    headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
  }
  let body = raw.slice(split + 4);
  const encoding = headers.get("content-transfer-encoding")?.toLowerCase();
  if (encoding === "quoted-printable")
    body = Buffer.from(
      body
        .replace(/=\r\n/g, "")
        .replace(/=([0-9A-F]{2})/g, (_m, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))),
      "latin1",
    ).toString("utf8");
  else if (encoding === "base64") body = Buffer.from(body, "base64").toString("utf8");
  return {
    from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
    to: session.envelope.rcptTo.map((r) => r.address),
    secure: session.secure,
    user: typeof session.user === "string" ? session.user : undefined,
    headers,
    subject: headers.get("subject") ?? "",
    body: body.replace(/\r\n/g, "\n"),
  };
}
