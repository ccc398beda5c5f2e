/**
 * The console's command interpreter, shared by the SSH and Telnet adapters: parses a line, checks nothing itself
 * about roles (commands go through ctx.commands.run / ctx.auth, where authorization and audit live) and returns
 * text or JSON with an exit code. It knows nothing about terminals beyond "may I use colour".
 */
import type { AuthService, CommandRequest, CoreServiceApis, GatewayCommands, Principal } from "../core/adapter.js";
import { parseDuration } from "../core/config/primitives.js";
import type { EventRecord, Severity } from "../core/events.js";
import type { PlantSnapshot } from "../core/model.js";
import { type BlockPointId, type PointId, pointsOfScope, type StringPointId } from "../core/points.js";
import { blockRow, parseBlockRef, stringById } from "../core/topology.js";
import { adminCommands } from "./commands-admin.js";
import { dataCommands } from "./commands-data.js";
import { cell, heading, isoTime, jsonValue, type Palette, palette, table } from "./format.js";

import { type ConsoleOutput, EXIT, fail, json, ok } from "./output.js";

export { type ConsoleOutput, EXIT, fail, json, ok };

/** Commands a user whose password must be changed may still run. */
const ALLOWED_BEFORE_PASSWORD_CHANGE = new Set(["help", "whoami", "exit", "user passwd"]);

/** The interactive side of a session (absent for exec): prompts that must not echo or enter the history. */
export interface ConsoleIO {
  readonly interactive: boolean;
  write(text: string): void;
  /** Reads one line without echo; undefined when the user cancels (Ctrl-C) or leaves. */
  askSecret(prompt: string): Promise<string | undefined>;
}

export interface ConsoleDeps {
  readonly model: { current(): PlantSnapshot };
  readonly auth: AuthService;
  readonly commands: GatewayCommands;
  readonly services: CoreServiceApis;
  /** Protocol name for audit records (ssh, telnet). */
  readonly protocol: string;
}

export interface Invocation {
  readonly args: string[];
  /** Per argument: was it quoted (then `config set` keeps it a string). */
  readonly quoted: boolean[];
  readonly json: boolean;
  readonly options: Map<string, string>;
  /** Flags without a value (`--must-change`). */
  readonly flags: Set<string>;
  readonly io?: ConsoleIO;
}

export interface CommandSpec {
  /** Words that select the command, e.g. ["show", "blocks"]. */
  readonly words: readonly string[];
  readonly usage: string;
  readonly help: string;
  readonly run: (inv: Invocation) => Promise<ConsoleOutput> | ConsoleOutput;
  /** Candidates for the next argument, given the arguments so far. */
  readonly complete?: (args: string[]) => string[];
}

const SEVERITIES: readonly Severity[] = ["info", "warning", "critical"];

/** Splits a line into words; single or double quotes group words. */
export function tokenize(line: string): string[] {
  return tokenizeQuoted(line).map((w) => w.text);
}

/** Words with whether each was quoted. */
export function tokenizeQuoted(line: string): { text: string; quoted: boolean }[] {
  const words: { text: string; quoted: boolean }[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line))
    words.push({ text: m[1] ?? m[2] ?? m[3] ?? "", quoted: m[3] === undefined });
  return words;
}

/** Options that never take a value. */
const FLAGS = new Set(["must-change", "generate", "all"]);

/** What the command modules get from the interpreter. */
export interface CommandScope {
  readonly deps: ConsoleDeps;
  readonly colours: Palette;
  readonly principal: Principal;
  snapshot(): PlantSnapshot;
  stringArg(text: string | undefined): { index: number; id: number; blockCount: number; first: number };
  /** Runs a gateway command (authorization and audit in the router) and renders its result. */
  command(request: CommandRequest, asJson: boolean): Promise<ConsoleOutput>;
  /** Audits a refusal decided here (with the protocol) and answers E_FORBIDDEN. */
  refuse(what: string, detail?: Record<string, string>): ConsoleOutput;
  /** Replaces the session's principal (after the user changed their own password). */
  setPrincipal(principal: Principal): void;
}

const STRING_POINTS: readonly StringPointId[] = [
  "string.voltage",
  "string.current",
  "string.chargeState",
  "string.soc",
];
const BLOCK_POINTS: readonly BlockPointId[] = [
  "block.voltage",
  "block.temperature",
  "block.resistance",
  "block.soc",
  "block.equalization",
];

export class ConsoleInterpreter {
  private readonly specs: CommandSpec[];
  private readonly colours: Palette;
  private current: Principal;
  private readonly scope: CommandScope;

  constructor(
    private readonly deps: ConsoleDeps,
    principal: Principal,
    colour = false,
  ) {
    this.current = principal;
    this.colours = palette(colour);
    const self = this;
    this.scope = {
      deps,
      colours: this.colours,
      get principal() {
        return self.current;
      },
      snapshot: () => this.snapshot(),
      stringArg: (text) => this.stringArg(text),
      command: (request, asJson) => this.command(request, asJson),
      refuse: (what, detail) => this.refuse(what, detail),
      setPrincipal: (p) => {
        this.current = p;
      },
    };
    this.specs = this.buildSpecs();
  }

  /** Who is logged in (changes when the user sets a password they had to change). */
  get principal(): Principal {
    return this.current;
  }

  /** Runs one command line. Never throws: failures become output with a non-zero exit code. */
  async run(line: string, io?: ConsoleIO): Promise<ConsoleOutput> {
    // Control characters have no place in a command; dropping them keeps them out of output and audit records.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: strips control characters on purpose
    const words = tokenizeQuoted(line.replace(/[\x00-\x08\x0b-\x1f\x7f]/g, ""));
    if (words.length === 0) return ok("");
    const texts = words.map((w) => w.text);
    const spec = this.match(texts);
    if (!spec) return fail(EXIT.usage, "E_CONSOLE_UNKNOWN", `unknown command '${clip(texts.join(" "))}'; type 'help'`);
    if (this.current.mustChangePassword && !ALLOWED_BEFORE_PASSWORD_CHANGE.has(spec.words.join(" ")))
      return fail(
        EXIT.forbidden,
        "E_CONSOLE_PASSWORD_CHANGE_REQUIRED",
        "your password must be changed first: log in interactively (ssh -t) or run 'user passwd'",
      );
    const rest = words.slice(spec.words.length);
    const options = new Map<string, string>();
    const flags = new Set<string>();
    const args: string[] = [];
    const quoted: boolean[] = [];
    let asJson = false;
    for (let i = 0; i < rest.length; i++) {
      const w = rest[i] as { text: string; quoted: boolean };
      if (w.quoted) {
        args.push(w.text);
        quoted.push(true);
      } else if (w.text === "--json") asJson = true;
      else if (w.text.startsWith("--") && w.text.length > 2) {
        const eq = w.text.indexOf("=");
        if (eq > 0) options.set(w.text.slice(2, eq), w.text.slice(eq + 1));
        else if (FLAGS.has(w.text.slice(2))) flags.add(w.text.slice(2));
        else options.set(w.text.slice(2), rest[++i]?.text ?? "");
      } else {
        args.push(w.text);
        quoted.push(false);
      }
    }
    try {
      return await spec.run({ args, quoted, json: asJson, options, flags, ...(io ? { io } : {}) });
    } catch (error) {
      const code = (error as { code?: string }).code ?? "E_CONSOLE_FAILED";
      return fail(code === "E_FORBIDDEN" ? EXIT.forbidden : EXIT.failed, code, (error as Error).message);
    }
  }

  /**
   * Asks the user for a new password of their own (twice) and sets it; used for the forced change at first login.
   * `close` in the result: the user cancelled or left.
   */
  async changeOwnPassword(io: ConsoleIO): Promise<ConsoleOutput> {
    const users = this.deps.auth.users;
    if (!users || this.current.source !== "local")
      return {
        ...fail(EXIT.failed, "E_CONSOLE_NO_LOCAL_USERS", "only local users can change their password here"),
        close: true,
      };
    const first = await io.askSecret(`New password for ${this.current.user}: `);
    if (first === undefined) return { ...fail(EXIT.failed, "E_CONSOLE_CANCELLED", "nothing changed"), close: true };
    const second = await io.askSecret("Retype the new password: ");
    if (second === undefined) return { ...fail(EXIT.failed, "E_CONSOLE_CANCELLED", "nothing changed"), close: true };
    if (first !== second) return fail(EXIT.usage, "E_CONSOLE_PASSWORD_MISMATCH", "the passwords differ; try again");
    try {
      await users.setPassword(this.current, this.current.user, first, false);
    } catch (error) {
      return fail(EXIT.failed, (error as { code?: string }).code ?? "E_CONSOLE_FAILED", (error as Error).message);
    }
    const { mustChangePassword: _, ...rest } = this.current;
    this.current = rest;
    return ok("Password changed.");
  }

  private refuse(what: string, detail: Record<string, string> = {}): ConsoleOutput {
    this.deps.commands.audit({
      name: "command",
      user: this.current.user,
      text: `refused ${clip(what)}: role too low`,
      detail: { outcome: "refused", protocol: this.deps.protocol, source: this.current.source, ...detail },
    });
    return fail(EXIT.forbidden, "E_FORBIDDEN", `${this.current.user} may not ${clip(what)}`);
  }

  /** Tab completion for readline: candidates for the last word of the line. */
  complete(line: string): [string[], string] {
    const words = line.split(/\s+/);
    const last = words.pop() ?? "";
    const before = words.filter((w) => w.length > 0);
    const candidates = new Set<string>();
    for (const spec of this.specs) {
      const prefix = spec.words.slice(0, before.length);
      if (before.length < spec.words.length) {
        if (prefix.every((w, i) => w === before[i])) candidates.add(spec.words[before.length] as string);
      } else if (spec.words.every((w, i) => w === before[i])) {
        for (const c of this.argumentCandidates(spec, before.slice(spec.words.length))) candidates.add(c);
      }
    }
    const hits = [...candidates].filter((c) => c.startsWith(last)).sort();
    return [hits, last];
  }

  private argumentCandidates(spec: CommandSpec, args: string[]): string[] {
    const topology = this.deps.model.current().topology;
    const previous = args[args.length - 1];
    const strings = topology.strings.map((s) => String(s.id));
    const key = spec.words.join(" ");
    if (spec.complete) return spec.complete(args);
    if (previous === "string" || key === "show string") return strings;
    if (key === "show block") return topology.strings.flatMap((s) => [`${s.id}/`]);
    if (key === "show blocks") return ["string", "--sort", "--json"];
    if (previous === "--sort") return BLOCK_POINTS.map((p) => p.slice("block.".length));
    if (previous === "--severity") return [...SEVERITIES];
    if (key === "equalize" && args.length === 0) return ["on", "off"];
    if (key === "alarm ack" && args.length === 0)
      return ["all", ...this.deps.model.current().alarms.map((a) => String(a.id))];
    if (key === "help") return [...new Set(this.specs.map((s) => s.words[0] as string))];
    if (key === "show events") return ["--since", "--severity", "--json"];
    return ["--json"];
  }

  private match(words: string[]): CommandSpec | undefined {
    let best: CommandSpec | undefined;
    for (const spec of this.specs)
      if (spec.words.every((w, i) => w === words[i]) && (!best || spec.words.length > best.words.length)) best = spec;
    return best;
  }

  private snapshot(): PlantSnapshot {
    return this.deps.model.current();
  }

  private stringArg(text: string | undefined): { index: number; id: number; blockCount: number; first: number } {
    const id = Number(text);
    const info = Number.isInteger(id) ? stringById(this.snapshot().topology, id) : undefined;
    if (!info)
      throw Object.assign(new Error(`no string '${text ?? ""}'; see 'show strings'`), { code: "E_CONSOLE_NO_STRING" });
    return { index: info.index, id: info.id, blockCount: info.blockCount, first: info.firstBlockRow };
  }

  private async command(request: CommandRequest, asJson: boolean): Promise<ConsoleOutput> {
    const result = await this.deps.commands.run(this.current, request);
    if (result.ok) return asJson ? json(result) : ok(result.message);
    const code = result.code === "E_FORBIDDEN" ? EXIT.forbidden : EXIT.failed;
    return asJson ? { exitCode: code, text: JSON.stringify(result) } : fail(code, result.code, result.error);
  }

  private buildSpecs(): CommandSpec[] {
    const c = this.colours;
    const specs: CommandSpec[] = [
      {
        words: ["help"],
        usage: "help [COMMAND]",
        help: "Lists the commands, or explains one.",
        run: ({ args }) => {
          const chosen = args.length > 0 ? this.specs.filter((s) => s.words[0] === args[0]) : this.specs;
          if (chosen.length === 0) return fail(EXIT.usage, "E_CONSOLE_UNKNOWN", `no command '${args[0]}'`);
          const text = chosen.map((s) => helpEntry(s.usage, s.help)).join("\n");
          return ok(
            `${text}\n\nAdd --json for machine-readable output. Exit codes: 0 ok, 1 failed, 2 usage, 3 forbidden.`,
          );
        },
      },
      {
        words: ["whoami"],
        usage: "whoami",
        help: "Shows your user name, roles and how you logged in.",
        run: ({ json: asJson }) => {
          const p = this.current;
          if (asJson) return json({ user: p.user, roles: p.roles, source: p.source });
          return ok(`${p.user} (${p.roles.join(", ")}) via ${p.source}`);
        },
      },
      {
        words: ["exit"],
        usage: "exit",
        help: "Ends the session.",
        run: () => ({ exitCode: EXIT.ok, text: "bye", close: true }),
      },
      {
        words: ["show", "status"],
        usage: "show status",
        help: "Plant overview: blocks, devices, alarms.",
        run: ({ json: asJson }) => this.showStatus(asJson),
      },
      {
        words: ["show", "strings"],
        usage: "show strings",
        help: "One line per string: voltage, current, state, SoC.",
        run: ({ json: asJson }) => this.showStrings(asJson),
      },
      {
        words: ["show", "string"],
        usage: "show string N",
        help: "Every string point of string N.",
        run: ({ args, json: asJson }) => {
          if (args.length !== 1) return fail(EXIT.usage, "E_CONSOLE_USAGE", "usage: show string N");
          const s = this.stringArg(args[0]);
          const snap = this.snapshot();
          const points = pointsOfScope("string");
          if (asJson)
            return json({
              id: s.id,
              ...Object.fromEntries(points.map((p) => [p.id, jsonValue(snap, p.id as PointId, s.index)])),
            });
          return ok(
            table(
              ["Point", "Value", "Unit"],
              points.map((p) => [p.label, cell(snap, p.id as PointId, s.index), p.unit]),
            ),
          );
        },
      },
      {
        words: ["show", "blocks"],
        usage: "show blocks [string N] [--sort POINT]",
        help: "Block table; --sort resistance finds the worst blocks first.",
        run: (inv) => this.showBlocks(inv),
      },
      {
        words: ["show", "block"],
        usage: "show block S/B",
        help: "Every point of block B of string S.",
        run: ({ args, json: asJson }) => {
          const ref = args[0] ? parseBlockRef(args[0]) : undefined;
          const snap = this.snapshot();
          const row = ref ? blockRow(snap.topology, ref.stringId, ref.block) : undefined;
          if (!ref || row === undefined)
            return fail(EXIT.usage, "E_CONSOLE_NO_BLOCK", `usage: show block S/B (e.g. 1/17); got '${args[0] ?? ""}'`);
          const points = pointsOfScope("block");
          if (asJson)
            return json({
              string: ref.stringId,
              block: ref.block,
              ...Object.fromEntries(points.map((p) => [p.id, jsonValue(snap, p.id as PointId, row)])),
            });
          return ok(
            table(
              ["Point", "Value", "Unit"],
              points.map((p) => [p.label, cell(snap, p.id as PointId, row), p.unit]),
            ),
          );
        },
      },
      {
        words: ["show", "alarms"],
        usage: "show alarms",
        help: "Active alarms, most severe first.",
        run: ({ json: asJson }) => {
          const alarms = this.snapshot().alarms;
          if (asJson) return json(alarms);
          if (alarms.length === 0) return ok("No active alarms.");
          const rank: Record<string, number> = { critical: 0, warning: 1, info: 2 };
          const sorted = [...alarms].sort((a, b) => (rank[a.severity] ?? 3) - (rank[b.severity] ?? 3) || a.id - b.id);
          return ok(
            table(
              ["Id", "Severity", "Where", "Alarm", "Raised (UTC)", "Ack"],
              sorted.map((a) => [
                String(a.id),
                a.severity === "critical"
                  ? c.red(a.severity)
                  : a.severity === "warning"
                    ? c.yellow(a.severity)
                    : a.severity,
                a.stringId === undefined
                  ? "plant"
                  : a.block === undefined
                    ? `S${a.stringId}`
                    : `${a.stringId}/${a.block}`,
                a.name,
                isoTime(a.raisedAt),
                a.acknowledgedBy ?? "-",
              ]),
            ),
          );
        },
      },
      {
        words: ["show", "events"],
        usage: "show events [--since 1h|ISO] [--severity S]",
        help: "Recent event log entries (newest last, at most 200).",
        run: (inv) => this.showEvents(inv),
      },
      {
        words: ["show", "buses"],
        usage: "show buses",
        help: "Fieldbus statistics: devices answering, transactions, failures.",
        run: ({ json: asJson }) => {
          const snap = this.snapshot();
          const rows = snap.topology.buses.map((bus) => {
            const devices = snap.topology.devices.filter((d) => d.bus === bus).map((d) => snap.devices[d.index]);
            const present = devices.filter((d) => d !== undefined);
            return {
              bus,
              devices: present.length,
              ok: present.filter((d) => d.comm === "ok").length,
              transactions: present.reduce((n, d) => n + d.transactions, 0),
              failures: present.reduce((n, d) => n + d.failures, 0),
            };
          });
          if (asJson) return json(rows);
          return ok(
            table(
              ["Bus", "Devices", "OK", "Transactions", "Failures"],
              rows.map((r) => [r.bus, String(r.devices), String(r.ok), String(r.transactions), String(r.failures)]),
            ),
          );
        },
      },
      {
        words: ["show", "users"],
        usage: "show users",
        help: "Local users and their roles (admin only).",
        run: async ({ json: asJson }) => {
          if (!this.deps.auth.users)
            return fail(EXIT.failed, "E_CONSOLE_NO_LOCAL_USERS", "local users are not configured");
          const users = await this.deps.auth.users.list(this.current);
          if (asJson) return json(users);
          return ok(
            table(
              ["User", "Roles", "Keys", "Must change password"],
              users.map((u) => [u.name, u.roles.join(","), String(u.keys.length), u.mustChangePassword ? "yes" : "no"]),
            ),
          );
        },
      },
      {
        words: ["alarm", "ack"],
        usage: "alarm ack ID|all",
        help: "Acknowledges one alarm or all (operator).",
        run: ({ args, json: asJson }) => {
          const target = args[0];
          if (!target || (target !== "all" && !/^\d+$/.test(target)))
            return fail(EXIT.usage, "E_CONSOLE_USAGE", "usage: alarm ack ID|all");
          return this.command({ kind: "alarm-ack", alarmId: target === "all" ? "all" : Number(target) }, asJson);
        },
      },
      {
        words: ["measure", "resistance"],
        usage: "measure resistance [string N]",
        help: "Starts an internal-resistance measurement (operator).",
        run: ({ args, json: asJson }) => {
          if (args.length === 0) return this.command({ kind: "measure-resistance" }, asJson);
          if (args[0] !== "string" || args.length !== 2)
            return fail(EXIT.usage, "E_CONSOLE_USAGE", "usage: measure resistance [string N]");
          return this.command({ kind: "measure-resistance", stringId: this.stringArg(args[1]).id }, asJson);
        },
      },
      {
        words: ["equalize"],
        usage: "equalize on|off [string N]",
        help: "Switches equalization (operator).",
        run: ({ args, json: asJson }) => {
          const on = args[0] === "on" ? true : args[0] === "off" ? false : undefined;
          if (on === undefined || (args.length !== 1 && (args.length !== 3 || args[1] !== "string")))
            return fail(EXIT.usage, "E_CONSOLE_USAGE", "usage: equalize on|off [string N]");
          const stringId = args.length === 3 ? this.stringArg(args[2]).id : undefined;
          return this.command({ kind: "equalize", on, ...(stringId === undefined ? {} : { stringId }) }, asJson);
        },
      },
      {
        words: ["sim"],
        usage: "sim ARGS…",
        help: "Simulator control, when the simulator runs (admin); 'sim help' lists its commands.",
        run: ({ args, json: asJson }) => this.command({ kind: "sim", args }, asJson),
      },
      ...dataCommands(this.scope),
      ...adminCommands(this.scope),
    ];
    return specs;
  }

  private showStatus(asJson: boolean): ConsoleOutput {
    const s = this.snapshot();
    const t = s.topology;
    const v = s.column("block.voltage");
    let good = 0;
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < t.blockCount; i++) {
      if (v.quality(i) !== 0) continue;
      const x = v.value(i);
      good++;
      min = Math.min(min, x);
      max = Math.max(max, x);
    }
    const devicesOk = s.devices.filter((d) => d.comm === "ok").length;
    const a = s.alarmSummary;
    if (asJson)
      return json({
        site: t.site.name,
        time: s.time,
        blocks: { total: t.blockCount, good, minVoltage: good ? min : null, maxVoltage: good ? max : null },
        devices: { total: s.devices.length, ok: devicesOk },
        alarms: a,
      });
    const c = this.colours;
    const alarms = `${a.critical} critical, ${a.warning} warning, ${a.info} info (${a.unacknowledged} unacknowledged)`;
    return ok(
      [
        `${c.bold(t.site.name)} — ${t.site.location}   ${isoTime(s.time)}`,
        `Blocks   ${good}/${t.blockCount} reporting, ${good ? `${min.toFixed(3)}–${max.toFixed(3)} V` : "no data"}`,
        `Devices  ${devicesOk}/${s.devices.length} answering`,
        `Alarms   ${a.critical > 0 ? c.red(alarms) : a.warning > 0 ? c.yellow(alarms) : alarms}`,
        "",
        this.showStrings(false).text,
      ].join("\n"),
    );
  }

  private showStrings(asJson: boolean): ConsoleOutput {
    const s = this.snapshot();
    const strings = s.topology.strings;
    if (asJson)
      return json(
        strings.map((info) => ({
          id: info.id,
          name: info.name,
          blocks: info.blockCount,
          alarms: s.alarmSummary.byString[String(info.id)] ?? 0,
          ...Object.fromEntries(STRING_POINTS.map((p) => [p, jsonValue(s, p, info.index)])),
        })),
      );
    return ok(
      table(
        ["String", "Name", "Blocks", ...STRING_POINTS.map(heading), "Alarms"],
        strings.map((info) => [
          String(info.id),
          info.name,
          String(info.blockCount),
          ...STRING_POINTS.map((p) => cell(s, p, info.index)),
          String(s.alarmSummary.byString[String(info.id)] ?? 0),
        ]),
      ),
    );
  }

  private showBlocks({ args, json: asJson, options }: Invocation): ConsoleOutput {
    const s = this.snapshot();
    let strings = s.topology.strings;
    if (args.length > 0) {
      if (args[0] !== "string" || args.length !== 2)
        return fail(EXIT.usage, "E_CONSOLE_USAGE", "usage: show blocks [string N] [--sort POINT]");
      const chosen = this.stringArg(args[1]);
      strings = strings.filter((x) => x.index === chosen.index);
    }
    let rows: { stringId: number; block: number; row: number }[] = strings.flatMap((info) =>
      Array.from({ length: info.blockCount }, (_, i) => ({
        stringId: info.id,
        block: i + 1,
        row: info.firstBlockRow + i,
      })),
    );
    const sort = options.get("sort");
    if (sort !== undefined) {
      const point = `block.${sort}` as BlockPointId;
      if (!BLOCK_POINTS.includes(point))
        return fail(
          EXIT.usage,
          "E_CONSOLE_USAGE",
          `--sort takes ${BLOCK_POINTS.map((p) => p.slice(6)).join(", ")}; got '${sort}'`,
        );
      const col = s.column(point);
      const key = (r: number) => (col.quality(r) === 0 ? col.value(r) : Number.NEGATIVE_INFINITY);
      // Worst first: the highest resistance, temperature, voltage … at the top.
      rows = [...rows].sort((a, b) => key(b.row) - key(a.row));
    }
    if (asJson)
      return json(
        rows.map((r) => ({
          string: r.stringId,
          block: r.block,
          ...Object.fromEntries(BLOCK_POINTS.map((p) => [p, jsonValue(s, p, r.row)])),
        })),
      );
    return ok(
      table(
        ["Block", ...BLOCK_POINTS.map(heading)],
        rows.map((r) => [`${r.stringId}/${r.block}`, ...BLOCK_POINTS.map((p) => cell(s, p, r.row))]),
      ),
    );
  }

  private showEvents({ json: asJson, options }: Invocation): ConsoleOutput {
    const log = this.deps.services.eventLog;
    if (!log) return fail(EXIT.failed, "E_CONSOLE_NO_EVENT_LOG", "the event log is not running");
    const since = options.get("since");
    let from: number | undefined;
    if (since !== undefined) {
      const ago = parseDuration(since);
      from = ago !== undefined ? Date.now() - ago : Date.parse(since);
      if (Number.isNaN(from))
        return fail(EXIT.usage, "E_CONSOLE_USAGE", `--since takes 1h, 30m or an ISO time; got '${since}'`);
    }
    const severity = options.get("severity");
    if (severity !== undefined && !SEVERITIES.includes(severity as Severity))
      return fail(EXIT.usage, "E_CONSOLE_USAGE", `--severity takes ${SEVERITIES.join(", ")}`);
    const events: EventRecord[] = log
      .query({
        ...(from === undefined ? {} : { from }),
        ...(severity === undefined ? {} : { minSeverity: severity as Severity }),
        limit: 200,
        order: "desc",
      })
      .reverse();
    if (asJson) return json(events);
    if (events.length === 0) return ok("No events.");
    return ok(
      table(
        ["Time (UTC)", "Severity", "Event", "Text"],
        events.map((e) => [
          isoTime(e.time),
          e.severity,
          e.name,
          e.text.length > 40 ? `${e.text.slice(0, 39)}…` : e.text,
        ]),
      ),
    );
  }
}

/** Keeps echoed user input short in messages and audit records. */
function clip(text: string): string {
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}

const HELP_INDENT = 34;
const WIDTH = 80;

/** `usage  help` in 80 columns: the help wraps under itself; a long usage gets a line of its own. */
function helpEntry(usage: string, help: string): string {
  const lines: string[] = [];
  let line = "";
  for (const word of help.split(" ")) {
    if (line && line.length + 1 + word.length > WIDTH - HELP_INDENT) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  const pad = " ".repeat(HELP_INDENT);
  const first = usage.length < HELP_INDENT - 1 ? `${usage.padEnd(HELP_INDENT)}${lines.shift() ?? ""}` : usage;
  return [first, ...lines.map((l) => pad + l)].join("\n");
}
