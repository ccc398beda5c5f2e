import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";
import { freePorts } from "../helpers/ports.js";
import type { TestCertificates } from "./tls-certs.js";

/** One line rsyslog wrote, split into the fields it parsed. */
export interface ParsedLine {
  readonly hostname: string;
  readonly appName: string;
  readonly msgId: string;
  readonly facility: number;
  readonly severity: number;
  readonly structuredData: string;
  readonly msg: string;
}

const TEMPLATE = "%hostname%|%app-name%|%msgid%|%syslogfacility%|%syslogseverity%|%structured-data%|%msg%\\n";

/**
 * A real rsyslogd in the foreground, on 127.0.0.1 only: UDP, TCP and TLS (gtls driver, client certificate required)
 * inputs, every message written as `|`-separated parsed fields to one file.
 */
export class RsyslogPeer {
  private process: ChildProcess | undefined;
  private stderr = "";
  readonly outFile: string;
  readonly pidFile: string;

  private constructor(
    readonly dir: string,
    readonly udpPort: number,
    readonly tcpPort: number,
    readonly tlsPort: number,
    certs: TestCertificates,
  ) {
    this.outFile = join(dir, "messages.log");
    this.pidFile = join(dir, "rsyslogd.pid");
    writeFileSync(
      join(dir, "rsyslog.conf"),
      [
        `global(workDirectory="${dir}" maxMessageSize="64k"`,
        `  defaultNetstreamDriverCAFile="${certs.caFile}"`,
        `  defaultNetstreamDriverCertFile="${certs.serverCertFile}"`,
        `  defaultNetstreamDriverKeyFile="${certs.serverKeyFile}")`,
        'module(load="imudp")',
        'module(load="imtcp" maxSessions="200")',
        `template(name="fields" type="string" string="${TEMPLATE}")`,
        `input(type="imudp" address="127.0.0.1" port="${udpPort}")`,
        `input(type="imtcp" address="127.0.0.1" port="${tcpPort}")`,
        `input(type="imtcp" address="127.0.0.1" port="${tlsPort}" streamDriver.name="gtls" streamDriver.mode="1"`,
        '  streamDriver.authMode="x509/certvalid")',
        `action(type="omfile" file="${this.outFile}" template="fields")`,
        "",
      ].join("\n"),
    );
  }

  static async start(dir: string, certs: TestCertificates): Promise<RsyslogPeer> {
    const [udp, tcp, tls] = (await freePorts(3)) as [number, number, number];
    const peer = new RsyslogPeer(dir, udp, tcp, tls, certs);
    await peer.launch();
    return peer;
  }

  /** Starts rsyslogd and waits until all three inputs accept. */
  async launch(): Promise<void> {
    const child = spawn("rsyslogd", ["-n", "-f", join(this.dir, "rsyslog.conf"), "-i", this.pidFile], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    this.process = child;
    child.stderr?.on("data", (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
    const deadline = Date.now() + 10_000;
    for (const port of [this.tcpPort, this.tlsPort]) {
      while (!(await accepts(port))) {
        if (child.exitCode !== null) throw new Error(`rsyslogd exited: ${this.stderr}`);
        if (Date.now() > deadline) throw new Error(`rsyslogd did not listen on ${port}: ${this.stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  get pid(): number | undefined {
    return this.process?.pid;
  }

  /** Stops rsyslogd by its PID and waits for it to exit (it writes what it received before). */
  async stop(): Promise<void> {
    const child = this.process;
    this.process = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      child.once("exit", () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill("SIGTERM");
    });
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.launch();
  }

  lines(): ParsedLine[] {
    if (!existsSync(this.outFile)) return [];
    return readFileSync(this.outFile, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((line) => {
        const [hostname = "", appName = "", msgId = "", facility = "", severity = "", structuredData = "", ...msg] =
          line.split("|");
        return {
          hostname,
          appName,
          msgId,
          facility: Number(facility),
          severity: Number(severity),
          structuredData,
          msg: msg.join("|").trim(),
        };
      });
  }

  /** Polls the output file until `predicate` holds for the lines so far. */
  async waitForLines(predicate: (lines: ParsedLine[]) => boolean, timeoutMs = 15_000): Promise<ParsedLine[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const lines = this.lines();
      if (predicate(lines)) return lines;
      if (Date.now() > deadline) {
        const tail = lines.slice(-2).map((l) => JSON.stringify(l));
        throw new Error(`rsyslog output did not match within ${timeoutMs} ms; ${lines.length} lines, last: ${tail}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}
