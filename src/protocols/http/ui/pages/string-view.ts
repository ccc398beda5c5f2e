/// <reference lib="dom" />
import type { BlockRow, Thresholds } from "../api.js";
import { BlockVoltageChart, COLORS, type ThresholdLine } from "../charts.js";
import { h, replace, setStatusClass } from "../dom.js";
import { fixed } from "../format.js";
import { type Page, panel } from "../page.js";
import {
  blockStatus,
  equalizationStatus,
  resistanceStatus,
  STATUS_TEXT,
  type Status,
  socStatus,
  sohStatus,
  temperatureStatus,
  voltageStatus,
} from "../status.js";
import { type Column, VirtualTable } from "../virtual-table.js";

const STRINGS_PER_PAGE = 16;

function valueCell(cell: HTMLTableCellElement, text: string, status: Status): void {
  if (cell.textContent !== text) cell.textContent = text;
  setStatusClass(cell, "v-", status);
}

export function voltageLines(t: Thresholds): ThresholdLine[] {
  const th = t.blockVoltage ?? {};
  const lines: ThresholdLine[] = [];
  if (th.highAlarm !== undefined) lines.push({ value: th.highAlarm, label: "high alarm", color: COLORS.alarm });
  if (th.highWarning !== undefined) lines.push({ value: th.highWarning, label: "high warning", color: COLORS.warning });
  if (th.lowWarning !== undefined) lines.push({ value: th.lowWarning, label: "low warning", color: COLORS.warning });
  if (th.lowAlarm !== undefined) lines.push({ value: th.lowAlarm, label: "low alarm", color: COLORS.alarm });
  return lines;
}

/** String view: the BACS-like module table (sortable, colour-coded) and the bar chart of block voltages. */
export const stringPage: Page = async (ctx, params) => {
  const { store } = ctx;
  const plant = store.plant;
  if (!plant || plant.strings.length === 0) {
    ctx.setTitle("Strings");
    ctx.root.append(h("div", { class: "panel" }, "No strings are configured."));
    return;
  }
  const id = params.id ? Number(params.id) : (plant.strings[0]?.id ?? 1);
  const index = plant.strings.findIndex((s) => s.id === id);
  const info = plant.strings[index];
  if (!info) {
    ctx.setTitle("Strings");
    ctx.root.append(h("div", { class: "panel", role: "alert" }, `There is no string ${params.id}.`));
    return;
  }
  ctx.setTitle(
    info.name,
    `${info.blockCount} blocks · ${info.chemistry.toUpperCase()} ${info.nominalBlockVoltage} V · bus ${info.bus}`,
  );

  // String pagination: a page of string tabs around the current one, so 100 strings stay navigable.
  const pageStart = Math.floor(index / STRINGS_PER_PAGE) * STRINGS_PER_PAGE;
  const tabs = h(
    "nav",
    { class: "segmented", "aria-label": "Strings" },
    pageStart > 0 ? h("a", { class: "button", href: `/strings/${plant.strings[pageStart - 1]?.id}` }, "‹") : null,
    plant.strings
      .slice(pageStart, pageStart + STRINGS_PER_PAGE)
      .map((s) =>
        h("a", { class: "button", href: `/strings/${s.id}`, "aria-current": s.id === id ? "page" : undefined }, s.name),
      ),
    pageStart + STRINGS_PER_PAGE < plant.strings.length
      ? h("a", { class: "button", href: `/strings/${plant.strings[pageStart + STRINGS_PER_PAGE]?.id}` }, "›")
      : null,
  );

  const blocks = await store.stringBlocks(id);
  let thresholds = blocks.thresholds;
  const open = (row: BlockRow) => ctx.navigate(`/strings/${id}/blocks/${row.block}`);

  const columns: Column<BlockRow>[] = [
    {
      key: "block",
      label: "No.",
      width: "70px",
      numeric: true,
      sortValue: (r) => r.block,
      render: (r, c) => {
        const text = String(r.block);
        if (c.textContent !== text) c.textContent = text;
      },
    },
    {
      key: "voltage",
      label: "Voltage (V)",
      numeric: true,
      sortValue: (r) => r.voltage ?? undefined,
      render: (r, c) => valueCell(c, fixed(r.voltage, 3), voltageStatus(r.voltage, thresholds)),
    },
    {
      key: "temperature",
      label: "Temp. (°C)",
      numeric: true,
      sortValue: (r) => r.temperature ?? undefined,
      render: (r, c) => valueCell(c, fixed(r.temperature, 1), temperatureStatus(r.temperature, thresholds)),
    },
    {
      key: "resistance",
      label: "Resistance (mΩ)",
      numeric: true,
      sortValue: (r) => r.resistance ?? undefined,
      render: (r, c) => valueCell(c, fixed(r.resistance, 2), resistanceStatus(r.resistance, thresholds)),
    },
    {
      key: "soc",
      label: "SOC (%)",
      numeric: true,
      sortValue: (r) => r.soc ?? undefined,
      render: (r, c) => valueCell(c, fixed(r.soc, 0), socStatus(r.soc, thresholds)),
    },
    {
      key: "soh",
      label: "SOH (%)",
      numeric: true,
      sortValue: (r) => r.soh ?? undefined,
      render: (r, c) => valueCell(c, fixed(r.soh, 0), sohStatus(r.soh)),
    },
    {
      key: "equalization",
      label: "Equalization",
      sortValue: (r) => r.equalization ?? undefined,
      render: (r, c) => valueCell(c, r.equalization ?? "–", equalizationStatus(r.equalization)),
    },
    {
      key: "status",
      label: "Status",
      sortValue: (r) => ({ alarm: 0, warning: 1, stale: 2, ok: 3 })[blockStatus(r, thresholds)],
      render: (r, c) => {
        const status = blockStatus(r, thresholds);
        let pill = c.firstElementChild as HTMLElement | null;
        if (!pill) {
          pill = h("span", { class: "pill" });
          c.append(pill);
        }
        setStatusClass(pill, "s-", status);
        const text = r.quality !== "good" && status === "stale" ? r.quality : STATUS_TEXT[status];
        if (pill.textContent !== text) pill.textContent = text;
      },
    },
  ];

  const table = new VirtualTable<BlockRow>({
    label: `Blocks of ${info.name}`,
    columns,
    rowKey: (r) => String(r.block),
    onRowActivate: open,
    decorateRow: (r, tr) => {
      const status = blockStatus(r, thresholds);
      tr.classList.add(`s-${status}`);
      tr.setAttribute("data-status", status);
      tr.setAttribute("aria-label", `Block ${r.block}`);
    },
    initialSort: { key: "block" },
  });
  table.setRows(blocks.rows);

  const chartBox = h("div", {
    class: "chart",
    role: "img",
    "aria-label": `Bar chart of the block voltages of ${info.name}`,
  });
  const summary = h("div", { class: "legend" });
  ctx.root.append(
    h("div", { class: "filters" }, tabs),
    panel("Block voltages", { controls: [summary] }, chartBox),
    panel(
      "Blocks",
      { flush: true, controls: [h("span", { class: "muted" }, "Click a row for its history")] },
      table.element,
    ),
  );

  const chart = new BlockVoltageChart(chartBox, (i) => {
    const row = blocks.rows[i];
    if (row) open(row);
  });
  ctx.onCleanup(() => chart.destroy());
  const updateChart = () => {
    thresholds = blocks.thresholds;
    const statuses = blocks.rows.map((r): "ok" | "warning" | "alarm" | "stale" =>
      voltageStatus(r.voltage, thresholds) === "ok"
        ? r.quality === "good"
          ? "ok"
          : "stale"
        : voltageStatus(r.voltage, thresholds),
    );
    chart.update(
      blocks.rows.map((r) => r.block),
      blocks.rows.map((r) => r.voltage ?? Number.NaN),
      statuses,
      voltageLines(thresholds),
    );
    const count = (s: Status) => blocks.rows.filter((r) => blockStatus(r, thresholds) === s).length;
    replace(
      summary,
      (["ok", "warning", "alarm", "stale"] as Status[]).map((s) =>
        h("span", {}, h("i", { class: `l-${s}` }), `${STATUS_TEXT[s]} ${count(s)}`),
      ),
    );
  };
  updateChart();
  let pending = false;
  ctx.onCleanup(
    store.on("blocks", () => {
      table.refresh();
      if (pending) return;
      pending = true;
      requestAnimationFrame(() => {
        pending = false;
        updateChart();
      });
    }),
  );
};
