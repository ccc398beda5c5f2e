/**
 * Console commands that read the core services: measurement history, discharge records, protection outputs; and the
 * output override, all through the same interfaces the web and REST use.
 */

import { parseDuration } from "../core/config/primitives.js";
import type { HistoryResolution } from "../core/history/types.js";
import { type PointDefinition, type PointId, pointById, pointsOfScope, type StringPointId } from "../core/points.js";
import type { DiscoveryReport, FoundDevice } from "../core/poller/discovery.js";
import { parseAddressList } from "../core/poller/discovery.js";
import { parseBlockRef, stringById } from "../core/topology.js";
import { cell, isoTime, jsonValue, table } from "./format.js";
import type { CommandScope, CommandSpec, Invocation } from "./interpreter.js";
import { type ConsoleOutput, EXIT, fail, json, ok } from "./output.js";

const RESOLUTIONS: readonly (HistoryResolution | "auto")[] = ["auto", "raw", "minute", "hour"];
/** Rows a text history shows (newest); --json gives them all. */
const TEXT_ROWS = 50;
const MAX_JSON_ROWS = 100_000;
const OUTPUT_POINTS: readonly StringPointId[] = [
  "string.loadDisconnect",
  "string.chargeDisconnect",
  "string.remoteOnOff",
];

/** `voltage` or `block.voltage` → the point of that scope. */
function pointOfScope(text: string | undefined, scope: "string" | "block"): PointDefinition | undefined {
  const fallback = scope === "block" ? "block.voltage" : "string.voltage";
  const id = text === undefined ? fallback : text.includes(".") ? text : `${scope}.${text}`;
  const point = pointById(id);
  return point?.scope === scope ? point : undefined;
}

function decimals(point: PointDefinition): number {
  return Math.max(0, Math.min(4, Math.round(-Math.log10(point.resolution))));
}

export function dataCommands(scope: CommandScope): CommandSpec[] {
  const { deps } = scope;

  const showHistory = ({ args, json: asJson, options }: Invocation): ConsoleOutput => {
    const history = deps.services.history;
    if (!history) return fail(EXIT.failed, "E_CONSOLE_NO_HISTORY", "history is not recorded (history.enabled: false)");
    const usage = "usage: show history S/B|S [POINT] [--range 1h] [--resolution auto|raw|minute|hour]";
    const [where, pointText] = args;
    if (!where || args.length > 2) return fail(EXIT.usage, "E_CONSOLE_USAGE", usage);
    const ref = parseBlockRef(where);
    const stringId = ref ? ref.stringId : /^\d+$/.test(where) ? Number(where) : undefined;
    const info = stringId === undefined ? undefined : stringById(scope.snapshot().topology, stringId);
    if (!info || (ref && (ref.block < 1 || ref.block > info.blockCount)))
      return fail(EXIT.notFound, "E_CONSOLE_NO_BLOCK", `no string or block '${where}'; see 'show strings'; ${usage}`);
    const point = pointOfScope(pointText, ref ? "block" : "string");
    if (!point) {
      const names = pointsOfScope(ref ? "block" : "string").map((p) => p.id.slice(p.id.indexOf(".") + 1));
      return fail(
        EXIT.usage,
        "E_CONSOLE_NO_POINT",
        `'${pointText}' is not a ${ref ? "block" : "string"} point: ${names.join(", ")}`,
      );
    }
    const rangeText = options.get("range") ?? "1h";
    const range = parseDuration(rangeText);
    if (range === undefined || range <= 0)
      return fail(EXIT.usage, "E_CONSOLE_USAGE", `--range takes 30m, 1h, 7d …; got '${rangeText}'`);
    const resolution = (options.get("resolution") ?? "auto") as HistoryResolution | "auto";
    if (!RESOLUTIONS.includes(resolution))
      return fail(EXIT.usage, "E_CONSOLE_USAGE", `--resolution takes ${RESOLUTIONS.join(", ")}`);
    const to = Date.now() + 1;
    const from = to - range;
    const [series] = history.query({
      point: point.id as PointId,
      stringId: info.id,
      ...(ref ? { block: ref.block } : {}),
      from,
      to,
      resolution,
    });
    const data = series?.data;
    const count = data ? data.time.length : 0;
    const place = ref ? `block ${info.id}/${ref.block}` : `string ${info.id}`;
    if (asJson) {
      const first = Math.max(0, count - MAX_JSON_ROWS);
      const samples = [];
      for (let i = first; i < count && data; i++)
        samples.push({
          time: data.time[i],
          min: data.min[i],
          avg: data.avg[i],
          max: data.max[i],
          count: data.count[i],
        });
      return json({
        point: point.id,
        string: info.id,
        ...(ref ? { block: ref.block } : {}),
        unit: point.unit,
        resolution: series?.resolution ?? resolution,
        from,
        to,
        samples,
      });
    }
    const unit = point.unit ? ` (${point.unit})` : "";
    const title = `${point.label}${unit} of ${place}, last ${rangeText}, ${series?.resolution ?? resolution}: ${count} value(s)`;
    if (!data || count === 0) return ok(`${title}.\nNothing recorded yet in that range.`);
    const d = decimals(point);
    const rows: string[][] = [];
    for (let i = Math.max(0, count - TEXT_ROWS); i < count; i++) {
      const f = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? "-" : v.toFixed(d));
      rows.push(
        series.resolution === "raw"
          ? [isoTime(data.time[i] ?? 0), f(data.avg[i])]
          : [isoTime(data.time[i] ?? 0), f(data.min[i]), f(data.avg[i]), f(data.max[i]), String(data.count[i])],
      );
    }
    const headers =
      series.resolution === "raw" ? ["Time (UTC)", "Value"] : ["Time (UTC)", "Min", "Avg", "Max", "Samples"];
    const more = count > TEXT_ROWS ? `\n(newest ${TEXT_ROWS} of ${count}; --json gives all)` : "";
    return ok(`${title}\n${table(headers, rows)}${more}`);
  };

  const showDischarges = ({ args, json: asJson, options }: Invocation): ConsoleOutput => {
    const analysis = deps.services.analysis;
    if (!analysis)
      return fail(
        EXIT.failed,
        "E_CONSOLE_NO_ANALYSIS",
        "discharge records need the analysis service (analysis.enabled)",
      );
    let stringId: number | undefined;
    if (args.length > 0) {
      if (args[0] !== "string" || args.length !== 2)
        return fail(EXIT.usage, "E_CONSOLE_USAGE", "usage: show discharges [string N] [--limit N]");
      stringId = scope.stringArg(args[1]).id;
    }
    const limitText = options.get("limit") ?? "20";
    const limit = Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000)
      return fail(EXIT.usage, "E_CONSOLE_USAGE", `--limit takes 1..10000; got '${limitText}'`);
    const list = analysis.discharges({ ...(stringId === undefined ? {} : { stringId }), limit });
    if (asJson) return json(list);
    if (list.length === 0) return ok("No discharges recorded.");
    const n = (v: number, d: number) => (Number.isFinite(v) ? v.toFixed(d) : "-");
    return ok(
      table(
        ["Id", "Str", "Start (UTC)", "Min", "Ah", "Peak A", "SoC %", "Min V", "Weakest"],
        list.map((r) => [
          String(r.id),
          String(r.stringId),
          isoTime(r.start),
          r.end === undefined ? "running" : n(r.durationSeconds / 60, 1),
          n(r.ampereHours, 1),
          n(r.peakCurrent, 1),
          `${n(r.socStart, 0)}→${n(r.socEnd, 0)}`,
          n(r.minBlockVoltage, 2),
          `${r.stringId}/${r.weakestBlock}`,
        ]),
      ),
    );
  };

  const showOutputs = ({ json: asJson }: Invocation): ConsoleOutput => {
    const snap = scope.snapshot();
    const strings = snap.topology.strings;
    // What the protection controller wants and why, when it runs.
    const protection = new Map((deps.services.protection?.strings() ?? []).map((p) => [p.stringId, p]));
    if (asJson)
      return json(
        strings.map((s) => {
          const p = protection.get(s.id);
          return {
            string: s.id,
            ...Object.fromEntries(OUTPUT_POINTS.map((point) => [point, jsonValue(snap, point, s.index)])),
            ...(p ? { protection: p } : {}),
          };
        }),
      );
    const why = (id: number) => {
      const p = protection.get(id);
      if (!p) return "-";
      const reasons = [
        ...(p.failSafe ? [`fail-safe${p.failSafeCause ? ` (${p.failSafeCause})` : ""}`] : []),
        ...p.load.reasons.map((r) => `load: ${r}`),
        ...p.charge.reasons.map((r) => `charge: ${r}`),
      ];
      return reasons.length > 0 ? reasons.join("; ") : "ok";
    };
    const words: Record<string, [string, string]> = {
      "string.loadDisconnect": ["disconnected", "connected"],
      "string.chargeDisconnect": ["blocked", "allowed"],
      "string.remoteOnOff": ["off", "on"],
    };
    const shown = (p: StringPointId, index: number) => {
      const text = cell(snap, p, index);
      return text === "0" || text === "1" ? (words[p]?.[Number(text)] ?? text) : text;
    };
    return ok(
      table(
        ["String", "Load", "Charging", "Remote", "Protection"],
        strings.map((s) => [String(s.id), ...OUTPUT_POINTS.map((p) => shown(p, s.index)), why(s.id)]),
      ),
    );
  };

  const discover = async ({ args, json: asJson, options }: Invocation): Promise<ConsoleOutput> => {
    const [bus] = args;
    const buses = scope.snapshot().topology.buses;
    if (!bus || args.length !== 1)
      return fail(
        EXIT.usage,
        "E_CONSOLE_USAGE",
        `usage: discover BUS [--addresses 1-120,201]; buses: ${buses.join(", ")}`,
      );
    const text = options.get("addresses");
    const addresses = text === undefined ? undefined : parseAddressList(text);
    if (text !== undefined && !addresses)
      return fail(EXIT.usage, "E_CONSOLE_USAGE", "--addresses looks like 1-120,201,210-220 within 1..247");
    const result = await deps.commands.run(scope.principal, {
      kind: "discover",
      bus,
      ...(addresses ? { addresses } : {}),
    });
    if (!result.ok)
      return asJson
        ? { exitCode: result.code === "E_FORBIDDEN" ? EXIT.forbidden : EXIT.failed, text: JSON.stringify(result) }
        : fail(result.code === "E_FORBIDDEN" ? EXIT.forbidden : EXIT.failed, result.code, result.error);
    const report = result.data as DiscoveryReport;
    const type = (f: FoundDevice) => f.profile?.id ?? `type 0x${f.typeCode.toString(16)}`;
    const mismatches =
      report.missing.length + report.extra.length + report.wrongType.length + report.wrongSerial.length;
    const exitCode = mismatches === 0 ? EXIT.ok : EXIT.failed;
    if (asJson)
      return {
        exitCode,
        isResult: true,
        text: JSON.stringify(
          {
            bus: report.bus,
            scanned: report.scanned,
            found: report.found.map((f) => ({
              address: f.address,
              type: type(f),
              serial: f.serial,
              firmware: f.firmware,
            })),
            missing: report.missing.map((d) => ({ address: d.address, type: d.profile.id })),
            extra: report.extra.map((f) => ({ address: f.address, type: type(f), serial: f.serial })),
            wrongType: report.wrongType.map((w) => ({
              address: w.expected.address,
              expected: w.expected.profile.id,
              found: type(w.found),
            })),
            wrongSerial: report.wrongSerial.map((w) => ({
              address: w.expected.address,
              expected: w.expected.expectedSerial,
              found: w.found.serial,
            })),
          },
          null,
          2,
        ),
      };
    const rows = [
      ...report.found
        .filter((f) => !report.extra.includes(f))
        .map((f) => [String(f.address), type(f), f.serial, f.firmware, "ok"]),
      ...report.missing.map((d) => [String(d.address), d.profile.id, "-", "-", "MISSING"]),
      ...report.extra.map((f) => [String(f.address), type(f), f.serial, f.firmware, "EXTRA (not configured)"]),
    ];
    for (const w of report.wrongType) {
      const row = rows.find((r) => r[0] === String(w.expected.address));
      if (row) row[4] = `WRONG TYPE (configured ${w.expected.profile.id})`;
    }
    for (const w of report.wrongSerial) {
      const row = rows.find((r) => r[0] === String(w.expected.address));
      if (row) row[4] = `SWAPPED (commissioned ${w.expected.expectedSerial})`;
    }
    rows.sort((a, b) => Number(a[0]) - Number(b[0]));
    return {
      exitCode,
      isResult: true,
      text: `${result.message}\n${table(["Addr", "Device", "Serial", "Firmware", "State"], rows)}`,
    };
  };

  const historyPoints = (args: string[]) => {
    if (args.length === 0)
      return scope
        .snapshot()
        .topology.strings.flatMap((s) => [
          String(s.id),
          ...Array.from({ length: s.blockCount }, (_, i) => `${s.id}/${i + 1}`),
        ]);
    if (args.length === 1) {
      const where = args[0] ?? "";
      return pointsOfScope(where.includes("/") ? "block" : "string").map((p) => p.id.slice(p.id.indexOf(".") + 1));
    }
    return ["--range", "--resolution", "--json"];
  };

  return [
    {
      words: ["show", "history"],
      usage: "show history S/B|S [POINT] [--range 1h]",
      help: "Recorded values of a block or string point (default voltage).",
      run: showHistory,
      complete: historyPoints,
    },
    {
      words: ["show", "discharges"],
      usage: "show discharges [string N] [--limit N]",
      help: "Recorded discharges, newest first: duration, Ah, SoC, weakest block.",
      run: showDischarges,
      complete: (args) => (args.length === 0 ? ["string", "--limit", "--json"] : []),
    },
    {
      words: ["show", "outputs"],
      usage: "show outputs",
      help: "Protection outputs per string: load and charge disconnect, remote on/off.",
      run: showOutputs,
    },
    {
      words: ["discover"],
      usage: "discover BUS [--addresses 1-120,201]",
      help: "Scans a bus (default: its configured addresses) and compares with the configuration (admin).",
      run: discover,
      complete: (args) => (args.length === 0 ? [...scope.snapshot().topology.buses] : ["--addresses", "--json"]),
    },
    {
      words: ["output"],
      usage: "output load|charge connect|disconnect string N",
      help: "Overrides a protection output of a string's relay module (operator).",
      complete: (args) =>
        args.length === 0
          ? ["load", "charge"]
          : args.length === 1
            ? ["connect", "disconnect"]
            : args.length === 2
              ? ["string"]
              : scope.snapshot().topology.strings.map((s) => String(s.id)),
      run: ({ args, json: asJson }) => {
        const [which, state, word, id] = args;
        const output = which === "load" || which === "charge" ? which : undefined;
        const closed = state === "connect" ? true : state === "disconnect" ? false : undefined;
        if (!output || closed === undefined || word !== "string" || args.length !== 4)
          return fail(EXIT.usage, "E_CONSOLE_USAGE", "usage: output load|charge connect|disconnect string N");
        return scope.command({ kind: "output", stringId: scope.stringArg(id).id, output, closed }, asJson);
      },
    },
  ];
}
