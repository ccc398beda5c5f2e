/// <reference lib="dom" />
import type { Discharge } from "../api.js";
import { COLORS, MultiLineChart } from "../charts.js";
import { h, replace } from "../dom.js";
import { dateTime, duration, fixed } from "../format.js";
import { errorText, messageLine, type Page, panel } from "../page.js";

const num = (v: number | null | undefined): number | null => (typeof v === "number" ? v : null);

/** Discharges: the recorded discharges (newest first) and, for the selected one, its curves. */
export const dischargesPage: Page = async (ctx, params) => {
  ctx.setTitle("Discharges", "Discharge records");
  const message = messageLine();
  const list = await ctx.api.get<Discharge[]>("/api/discharges", { limit: 500 });
  const selectedId = params.id ? Number(params.id) : list[0]?.id;
  const rows = list.map((d) =>
    h(
      "tr",
      {
        class: d.id === selectedId ? "clickable selected" : "clickable",
        "aria-selected": d.id === selectedId ? "true" : "false",
      },
      h("td", {}, h("a", { href: `/discharges/${d.id}` }, `#${d.id}`)),
      h("td", {}, `String ${d.stringId}`),
      h("td", {}, dateTime(d.start)),
      h("td", {}, d.end ? duration(d.durationSeconds * 1000) : h("span", { class: "pill s-warning" }, "in progress")),
      h("td", { class: "num" }, fixed(d.ampereHours, 1, "Ah")),
      h("td", { class: "num" }, fixed(d.peakCurrent, 1, "A")),
      h("td", { class: "num" }, `${fixed(num(d.socStart), 0)} → ${fixed(num(d.socEnd), 0)} %`),
      h("td", { class: "num" }, fixed(num(d.minBlockVoltage), 3, "V")),
      h("td", { class: "num" }, d.weakestBlock ? `B${d.weakestBlock}` : "–"),
      h("td", { class: "num" }, fixed(num(d.capacityAh), 1, "Ah")),
    ),
  );
  const table =
    list.length === 0
      ? h(
          "p",
          { class: "muted" },
          "No discharges recorded yet. A discharge is recorded when a string's current drops below the discharge threshold.",
        )
      : h(
          "div",
          { class: "table-scroll short" },
          h(
            "table",
            { class: "data simple", "aria-label": "Discharge records" },
            h(
              "thead",
              {},
              h(
                "tr",
                {},
                [
                  "No.",
                  "String",
                  "Start",
                  "Duration",
                  "Removed",
                  "Peak current",
                  "SOC",
                  "Min block",
                  "Weakest",
                  "Capacity",
                ].map((t, i) => h("th", { scope: "col", class: i >= 4 ? "num" : undefined }, t)),
              ),
            ),
            h("tbody", {}, rows),
          ),
        );
  const curveBox = h("div", { class: "chart", role: "img", "aria-label": "Discharge curve: voltages" });
  const currentBox = h("div", { class: "chart", role: "img", "aria-label": "Discharge curve: current" });
  const facts = h("div", { class: "muted" });
  ctx.root.append(panel("Discharge records", { flush: true }, table), message);
  if (selectedId === undefined) return;
  ctx.root.append(
    panel(
      `Discharge #${selectedId}`,
      { controls: [facts] },
      h(
        "div",
        { class: "chart-stack" },
        h("h3", {}, "Block voltages (V)"),
        curveBox,
        h("h3", {}, "String current (A)"),
        currentBox,
      ),
    ),
  );
  try {
    const record = await ctx.api.get<Discharge>(`/api/discharges/${selectedId}`);
    const curve = record.curve ?? [];
    const time = curve.map((p) => p.time ?? 0);
    const voltages = new MultiLineChart(curveBox, "V");
    const current = new MultiLineChart(currentBox, "A");
    ctx.onCleanup(() => {
      voltages.destroy();
      current.destroy();
    });
    const blocks =
      record.minBlockVoltage !== null &&
      (ctx.store.plant?.strings.find((s) => s.id === record.stringId)?.blockCount ?? 0) > 0;
    voltages.update(time, [
      { label: "min block", color: COLORS.alarm, values: curve.map((p) => p.minBlockVoltage ?? null) },
      { label: "max block", color: COLORS.line, values: curve.map((p) => p.maxBlockVoltage ?? null) },
    ]);
    current.update(time, [{ label: "current", color: COLORS.ok, values: curve.map((p) => p.current ?? null) }]);
    replace(
      facts,
      `String ${record.stringId} · ${dateTime(record.start)} · ${fixed(record.ampereHours, 1, "Ah")} · ${record.reachedEndVoltage ? "full test" : "partial"}${blocks ? "" : ""}`,
    );
  } catch (error) {
    message.show(`The discharge curve could not be loaded: ${errorText(error)}`);
  }
};
