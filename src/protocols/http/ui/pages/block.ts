/// <reference lib="dom" />
import type { Alarm, BlockDetail, HistorySeries, Thresholds } from "../api.js";
import { COLORS, HistoryChart, type ThresholdLine } from "../charts.js";
import { h, replace } from "../dom.js";
import { dateTime, fixed } from "../format.js";
import { errorText, messageLine, type Page, panel } from "../page.js";
import {
  equalizationStatus,
  resistanceStatus,
  type Status,
  socStatus,
  sohStatus,
  temperatureStatus,
  voltageStatus,
} from "../status.js";
import { alarmTable } from "./alarms.js";
import { voltageLines } from "./string-view.js";

const RANGES: readonly { label: string; ms: number }[] = [
  { label: "1 h", ms: 3_600_000 },
  { label: "6 h", ms: 6 * 3_600_000 },
  { label: "24 h", ms: 86_400_000 },
  { label: "7 d", ms: 7 * 86_400_000 },
  { label: "30 d", ms: 30 * 86_400_000 },
];

const num = (v: unknown): number | null => (typeof v === "number" ? v : null);

function temperatureLines(t: Thresholds): ThresholdLine[] {
  const th = t.blockTemperature ?? {};
  const lines: ThresholdLine[] = [];
  if (th.highAlarm !== undefined) lines.push({ value: th.highAlarm, label: "high alarm", color: COLORS.alarm });
  if (th.highWarning !== undefined) lines.push({ value: th.highWarning, label: "high warning", color: COLORS.warning });
  return lines;
}

/** Block detail: current values, its alarms, and history charts of voltage, temperature and resistance. */
export const blockPage: Page = async (ctx, params) => {
  const stringId = Number(params.id);
  const block = Number(params.block);
  const info = ctx.store.plant?.strings.find((s) => s.id === stringId);
  ctx.setTitle(`${info?.name ?? `String ${stringId}`} · Block ${block}`, "Block detail");
  const [detail, blocks] = await Promise.all([
    ctx.api.get<BlockDetail>(`/api/strings/${stringId}/blocks/${block}`),
    ctx.store.stringBlocks(stringId),
  ]);
  const thresholds = blocks.thresholds;

  const facts = h("dl", { class: "facts", "aria-label": "Current values" });
  const renderFacts = () => {
    const row = blocks.rows[block - 1];
    const v = row ?? detail.values;
    const fact = (label: string, text: string, status: Status) =>
      h(
        "div",
        { class: status === "ok" || status === "stale" ? "" : `v-${status}` },
        h("dt", {}, label),
        h("dd", {}, text),
      );
    const voltage = num(v.voltage);
    const temperature = num(v.temperature);
    const resistance = num(v.resistance);
    const soc = num(v.soc);
    const soh = num(v.soh);
    const eq = typeof v.equalization === "string" ? v.equalization : null;
    replace(
      facts,
      fact("Voltage", fixed(voltage, 3, "V"), voltageStatus(voltage, thresholds)),
      fact("Temperature", fixed(temperature, 1, "°C"), temperatureStatus(temperature, thresholds)),
      fact("Resistance", fixed(resistance, 2, "mΩ"), resistanceStatus(resistance, thresholds)),
      fact("SOC", fixed(soc, 0, "%"), socStatus(soc, thresholds)),
      fact("SOH", fixed(soh, 0, "%"), sohStatus(soh)),
      fact("Equalization", eq ?? "–", equalizationStatus(eq)),
      fact("Baseline", fixed(detail.health?.baseline ?? null, 2, "mΩ"), "ok"),
    );
  };
  renderFacts();

  const alarmsBox = h("div", {});
  const renderAlarms = () => {
    const list: Alarm[] = ctx.store.alarms.filter((a) => a.stringId === stringId && a.block === block);
    replace(
      alarmsBox,
      list.length === 0
        ? h("p", { class: "muted" }, "No active alarms on this block.")
        : alarmTable(ctx, list, `Alarms of block ${block}`),
    );
  };
  renderAlarms();

  // History: a range picker plus drag-to-zoom on any chart; all three charts follow one range.
  let range = { from: Date.now() - 3_600_000, to: Date.now() };
  const rangeButtons = RANGES.map((r) =>
    h(
      "button",
      {
        type: "button",
        "aria-pressed": r.ms === 3_600_000 ? "true" : "false",
        onclick: () => {
          for (const b of rangeButtons) b.setAttribute("aria-pressed", String(b === rangeButtons[RANGES.indexOf(r)]));
          range = { from: Date.now() - r.ms, to: Date.now() };
          void load();
        },
      },
      r.label,
    ),
  );
  const rangeLabel = h("span", { class: "muted", "aria-live": "polite" });
  const message = messageLine();
  const charts: {
    point: string;
    title: string;
    unit: string;
    lines: ThresholdLine[];
    box: HTMLElement;
    chart?: HistoryChart;
  }[] = [
    {
      point: "voltage",
      title: "Voltage",
      unit: "V",
      lines: voltageLines(thresholds),
      box: h("div", { class: "chart" }),
    },
    {
      point: "temperature",
      title: "Temperature",
      unit: "°C",
      lines: temperatureLines(thresholds),
      box: h("div", { class: "chart" }),
    },
    { point: "resistance", title: "Resistance", unit: "mΩ", lines: [], box: h("div", { class: "chart" }) },
  ];
  const onRange = (from: number, to: number) => {
    range = { from: Math.round(from), to: Math.round(to) };
    for (const b of rangeButtons) b.setAttribute("aria-pressed", "false");
    void load();
  };
  for (const c of charts) {
    c.box.setAttribute("role", "img");
    c.box.setAttribute("aria-label", `${c.title} history chart`);
    c.box.setAttribute("data-point", c.point);
    c.chart = new HistoryChart(c.box, c.title, c.unit, onRange);
  }
  ctx.onCleanup(() => {
    for (const c of charts) c.chart?.destroy();
  });

  const historyPanel = panel(
    "History",
    {
      controls: [rangeLabel, h("div", { class: "segmented", role: "group", "aria-label": "Time range" }, rangeButtons)],
    },
    message,
    h("p", { class: "muted" }, "Drag across a chart to zoom into a range; double-click to zoom out."),
    h(
      "div",
      { class: "chart-stack" },
      charts.map((c) => h("div", {}, h("h3", {}, `${c.title} (${c.unit})`), c.box)),
    ),
  );

  /** Loads the three series of the current range; aria-busy and data-from/to tell tests (and readers) the state. */
  async function load(): Promise<void> {
    historyPanel.setAttribute("aria-busy", "true");
    historyPanel.setAttribute("data-from", String(range.from));
    historyPanel.setAttribute("data-to", String(range.to));
    message.clear();
    setRangeLabel();
    const requested = range;
    try {
      const series = await Promise.all(
        charts.map((c) =>
          ctx.api.get<HistorySeries>(`/api/strings/${stringId}/blocks/${block}/history`, {
            point: c.point,
            from: requested.from,
            to: requested.to,
          }),
        ),
      );
      if (requested !== range) return; // a newer range was asked for meanwhile
      series.forEach((s, i) => {
        const c = charts[i];
        if (!c) return;
        const bucketed = s.resolution !== "raw";
        c.chart?.update(
          { time: s.time, avg: s.avg, ...(bucketed ? { min: s.min, max: s.max } : {}) },
          c.lines,
          requested,
        );
        c.box.setAttribute("data-samples", String(s.time.length));
        c.box.setAttribute("data-resolution", s.resolution);
      });
    } catch (error) {
      message.show(`History could not be loaded: ${errorText(error)}`);
    } finally {
      if (requested === range) historyPanel.setAttribute("aria-busy", "false");
    }
  }
  function setRangeLabel(): void {
    rangeLabel.textContent = `${dateTime(range.from)} – ${dateTime(range.to)}`;
  }

  ctx.root.append(
    h(
      "div",
      { class: "breadcrumb" },
      h("a", { href: `/strings/${stringId}` }, `← ${info?.name ?? `String ${stringId}`}`),
    ),
    panel("Now", {}, facts),
    panel("Active alarms", { id: "block-alarms" }, alarmsBox),
    historyPanel,
  );
  await load();
  ctx.onCleanup(ctx.store.on("blocks", renderFacts));
  ctx.onCleanup(ctx.store.on("alarms", renderAlarms));
};
