/**
 * The Debian peers of the whole-plant run, each in the foreground with its config in the run's temporary folder,
 * bound to 127.0.0.1 and stopped by PID: snmptrapd (traps, one line per notification on stdout) and rsyslogd
 * (RFC 5424 over TCP, one line per message with rsyslog's own receive time).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import net from "node:net";
import { join, resolve } from "node:path";
import { now, SCENARIO_EVENT_ID, sleep } from "./common.js";

const REPO = resolve(import.meta.dirname, "../..");
/** Debian ships no IETF MIBs; SNMPv2-SMI & co. come from net-snmp's bundled copies, ours from mibs/. */
const MIB_ARGS = ["-M", `${REPO}/node_modules/net-snmp/lib/mibs:${REPO}/mibs`, "-m", "SNMPv2-MIB:BMS-GATEWAY-MIB"];

/** One alarm notification as a receiver saw it. */
export interface Received {
  readonly state: "raised" | "cleared";
  readonly eventId: number;
  readonly stringId: number;
  readonly block?: number;
  readonly time: number;
}

/**
 * Stops a child by PID: SIGTERM, then SIGKILL after `graceMs`; resolves when it has exited, with whether it
 * needed the SIGKILL.
 */
export async function stopChild(child: ChildProcess | undefined, graceMs = 5000): Promise<boolean> {
  if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return false;
  let killed = false;
  await new Promise<void>((done) => {
    const timer = setTimeout(() => {
      killed = true;
      child.kill("SIGKILL");
    }, graceMs);
    child.once("exit", () => {
      clearTimeout(timer);
      done();
    });
    child.kill("SIGTERM");
  });
  return killed;
}

export class TrapReceiver {
  private child: ChildProcess | undefined;
  private output = "";
  private partial = "";
  readonly received: Received[] = [];
  /** Notifications of other events (counted, not matched). */
  other = 0;

  constructor(
    private readonly dir: string,
    readonly port: number,
    readonly community: string,
  ) {}

  async start(): Promise<void> {
    const home = join(this.dir, "snmptrapd");
    mkdirSync(home, { recursive: true });
    const conf = join(home, "snmptrapd.conf");
    writeFileSync(conf, `authCommunity log ${this.community}\n`);
    const child = spawn(
      "snmptrapd",
      ["-f", "-Lo", "-C", "-c", conf, ...MIB_ARGS, "-F", "NOTIFICATION %N|%V~%v\\n", `udp:127.0.0.1:${this.port}`],
      {
        env: { ...process.env, SNMP_PERSISTENT_DIR: home, SNMPCONFPATH: home, HOME: home },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    this.child = child;
    child.stdout?.on("data", (d: Buffer) => this.feed(d.toString()));
    child.stderr?.on("data", (d: Buffer) => {
      this.output += d.toString();
    });
    const deadline = Date.now() + 10_000;
    while (!this.output.includes("NET-SNMP version")) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`snmptrapd did not start: ${this.output}`);
      await sleep(50);
    }
  }

  private feed(text: string): void {
    const time = now();
    this.output += text;
    const lines = (this.partial + text).split("\n");
    this.partial = lines.pop() ?? "";
    for (const line of lines) {
      if (!line.startsWith("NOTIFICATION ")) {
        if (line.startsWith("NET-SNMP")) continue;
        continue;
      }
      const state = line.includes("bmsAlarmRaised")
        ? "raised"
        : line.includes("bmsAlarmCleared")
          ? "cleared"
          : undefined;
      const field = (name: string) => line.match(new RegExp(`${name}\\.0 = Gauge32: (\\d+)`))?.[1];
      const eventId = Number(field("bmsNotifEventId"));
      const stringId = Number(field("bmsNotifStringId"));
      const block = Number(field("bmsNotifBlock"));
      if (!state || eventId !== SCENARIO_EVENT_ID) {
        this.other++;
        continue;
      }
      this.received.push({ state, eventId, stringId, ...(block > 0 ? { block } : {}), time });
    }
    if (this.output.length > 1_000_000) this.output = this.output.slice(-100_000);
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async stop(): Promise<void> {
    await stopChild(this.child);
  }
}

const TEMPLATE = "%timegenerated:::date-rfc3339%|%msgid%|%structured-data%\\n";

export class SyslogReceiver {
  private child: ChildProcess | undefined;
  private stderr = "";
  private readOffset = 0;
  private partial = "";
  readonly received: Received[] = [];
  other = 0;
  private readonly outFile: string;

  constructor(
    private readonly dir: string,
    readonly port: number,
  ) {
    this.outFile = join(dir, "rsyslog", "messages.log");
  }

  async start(): Promise<void> {
    const work = join(this.dir, "rsyslog");
    mkdirSync(work, { recursive: true });
    writeFileSync(
      join(work, "rsyslog.conf"),
      [
        `global(workDirectory="${work}" maxMessageSize="64k")`,
        'module(load="imtcp" maxSessions="200")',
        `template(name="fields" type="string" string="${TEMPLATE}")`,
        `input(type="imtcp" address="127.0.0.1" port="${this.port}")`,
        `action(type="omfile" file="${this.outFile}" template="fields" flushOnTXEnd="on" asyncWriting="off")`,
        "",
      ].join("\n"),
    );
    const child = spawn("rsyslogd", ["-n", "-f", join(work, "rsyslog.conf"), "-i", join(work, "rsyslogd.pid")], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    this.child = child;
    child.stderr?.on("data", (d: Buffer) => {
      this.stderr += d.toString();
    });
    const deadline = Date.now() + 10_000;
    while (!(await accepts(this.port))) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`rsyslogd did not start: ${this.stderr}`);
      await sleep(50);
    }
  }

  /** Reads what rsyslog wrote since the last call; its receive time is in each line. */
  poll(): void {
    if (!existsSync(this.outFile)) return;
    const text = readFileSync(this.outFile).subarray(this.readOffset).toString("utf8");
    this.readOffset += Buffer.byteLength(text);
    const lines = (this.partial + text).split("\n");
    this.partial = lines.pop() ?? "";
    for (const line of lines) {
      const [stamp = "", msgId = "", sd = ""] = line.split("|");
      const param = (name: string) => sd.match(new RegExp(` ${name}="([^"]*)"`))?.[1];
      const eventId = Number(param("event"));
      const state = param("state");
      if (eventId !== SCENARIO_EVENT_ID || (state !== "raised" && state !== "cleared")) {
        this.other++;
        continue;
      }
      const block = Number(param("block"));
      this.received.push({
        state,
        eventId,
        stringId: Number(param("string")),
        ...(block > 0 ? { block } : {}),
        time: parseRfc3339(stamp),
      });
      void msgId;
    }
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async stop(): Promise<void> {
    await stopChild(this.child);
    this.poll();
  }
}

/** rsyslog's RFC 3339 time with microseconds, as ms since the epoch (sub-ms kept). */
export function parseRfc3339(text: string): number {
  const m = text.match(/^(.*T\d\d:\d\d:\d\d)(\.\d+)?(.*)$/);
  if (!m) return Number.NaN;
  return Date.parse(`${m[1]}${m[3]}`) + Number(m[2] ?? 0) * 1000;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      done(true);
    });
    socket.once("error", () => done(false));
  });
}
