/// <reference lib="dom" />
import type { StringInfo } from "../api.js";
import { h, replace, setStatusClass, setText } from "../dom.js";
import { fixed } from "../format.js";
import { type Page, panel } from "../page.js";
import { blockStatus, STATUS_TEXT, type Status, worst } from "../status.js";
import type { StringBlocks } from "../store.js";

const CARDS_PER_PAGE = 12;

const num = (v: unknown): number | null => (typeof v === "number" ? v : null);

function stringStatus(s: StringInfo, blocks: StringBlocks | undefined): Status {
  if (s.quality.voltage && s.quality.voltage !== "good" && !blocks) return "stale";
  let status: Status = s.alarms > 0 ? "warning" : "ok";
  if (blocks) for (const row of blocks.rows) status = worst(status, blockStatus(row, blocks.thresholds));
  return status;
}

/** Overview: plant figures, one card per string (voltage, current, SOC, state), and every block as a coloured cell. */
export const overviewPage: Page = async (ctx) => {
  const { store } = ctx;
  const plant = store.plant;
  if (!plant) return;
  ctx.setTitle("Overview", `${plant.site.name}${plant.site.location ? ` · ${plant.site.location}` : ""}`);

  const kpi = (label: string) => {
    const value = h("div", { class: "value" }, "–");
    const box = h(
      "div",
      { class: "kpi", role: "group", "aria-label": label },
      h("div", { class: "label" }, label),
      value,
    );
    return { box, value };
  };
  const kStrings = kpi("Strings");
  const kBlocks = kpi("Blocks");
  const kCritical = kpi("Critical alarms");
  const kWarning = kpi("Warnings");
  const kDevices = kpi("Probes online");
  const kAmbient = kpi("Ambient");

  const cards = h("div", { class: "strings", role: "list", "aria-label": "Strings" });
  const pager = h("div", { class: "segmented", role: "navigation", "aria-label": "String pages" });
  let page = 0;

  const map = h("div", { class: "block-map", role: "list", "aria-label": "Block map" });
  const legend = h(
    "div",
    { class: "legend", "aria-hidden": "true" },
    ...(["ok", "warning", "alarm", "stale"] as Status[]).map((s) =>
      h("span", {}, h("i", { class: `l-${s}` }), STATUS_TEXT[s]),
    ),
  );

  ctx.root.append(
    h("div", { class: "kpis" }, kStrings.box, kBlocks.box, kCritical.box, kWarning.box, kDevices.box, kAmbient.box),
    panel("Strings", { controls: [pager] }, cards),
    panel("Blocks", { controls: [legend] }, map),
  );

  const blockSets = new Map<number, StringBlocks>();
  const cellsByString = new Map<number, HTMLAnchorElement[]>();

  const renderKpis = () => {
    const p = store.plant;
    if (!p) return;
    setText(kStrings.value, String(p.strings.length));
    setText(kBlocks.value, String(p.blockCount));
    setText(kCritical.value, String(p.alarmSummary.critical));
    setText(kWarning.value, String(p.alarmSummary.warning));
    kCritical.box.classList.toggle("alarm", p.alarmSummary.critical > 0);
    kWarning.box.classList.toggle("warning", p.alarmSummary.warning > 0);
    setText(kDevices.value, `${p.devices.ok} / ${p.devices.total}`);
    setText(kAmbient.value, fixed(num(p.values.ambientTemperature), 1, "°C"));
  };

  const renderCards = () => {
    const p = store.plant;
    if (!p) return;
    const pages = Math.ceil(p.strings.length / CARDS_PER_PAGE);
    page = Math.min(page, Math.max(0, pages - 1));
    if (pages > 1 && pager.childElementCount !== pages) {
      replace(
        pager,
        Array.from({ length: pages }, (_x, i) =>
          h(
            "button",
            {
              type: "button",
              onclick: () => {
                page = i;
                renderCards();
              },
            },
            String(i + 1),
          ),
        ),
      );
    }
    [...pager.children].forEach((b, i) => {
      b.setAttribute("aria-pressed", String(i === page));
    });
    const shown = p.strings.slice(page * CARDS_PER_PAGE, (page + 1) * CARDS_PER_PAGE);
    replace(
      cards,
      shown.map((s) => {
        const status = stringStatus(s, blockSets.get(s.id));
        const v = s.values;
        const fact = (label: string, value: string) => [h("dt", {}, label), h("dd", {}, value)];
        return h(
          "div",
          { role: "listitem" },
          h(
            "a",
            {
              class: `string-card s-${status}`,
              href: `/strings/${s.id}`,
              "aria-label": `${s.name}: ${STATUS_TEXT[status]}`,
              "data-status": status,
            },
            h(
              "header",
              {},
              h("h3", {}, s.name),
              h(
                "span",
                { class: `pill s-${status}` },
                s.alarms > 0 ? `${s.alarms} alarm${s.alarms > 1 ? "s" : ""}` : STATUS_TEXT[status],
              ),
            ),
            h(
              "dl",
              {},
              fact("Voltage", fixed(num(v.voltage), 1, "V")),
              fact("Current", fixed(num(v.current), 1, "A")),
              fact("SOC", fixed(num(v.soc), 0, "%")),
              fact("State", String(v.chargeState ?? "unknown")),
              fact("Min block", fixed(num(v.blockVoltageMin), 3, "V")),
              fact("Max block", fixed(num(v.blockVoltageMax), 3, "V")),
            ),
          ),
        );
      }),
    );
  };

  const renderMap = () => {
    const p = store.plant;
    if (!p) return;
    for (const s of p.strings) {
      const set = blockSets.get(s.id);
      const cells = cellsByString.get(s.id);
      if (!set || !cells) continue;
      set.rows.forEach((row, i) => {
        const cell = cells[i];
        if (!cell) return;
        const status = blockStatus(row, set.thresholds);
        if (cell.dataset.status !== status) {
          cell.dataset.status = status;
          setStatusClass(cell, "s-", status);
          cell.setAttribute("aria-label", `${s.name} block ${row.block}: ${STATUS_TEXT[status]}`);
        }
      });
    }
  };

  const buildMap = () => {
    const p = store.plant;
    if (!p) return;
    replace(map);
    for (const s of p.strings) {
      const cells = Array.from({ length: s.blockCount }, (_x, i) =>
        h("a", {
          class: "cell s-stale",
          href: `/strings/${s.id}/blocks/${i + 1}`,
          role: "listitem",
          "data-block": i + 1,
        }),
      );
      cellsByString.set(s.id, cells);
      map.append(
        h(
          "div",
          { class: "map-row", role: "group", "aria-label": s.name },
          h("span", {}, s.name),
          h("div", { class: "cells", "data-string": s.id }, cells),
        ),
      );
    }
    map.addEventListener("mouseover", (e) => {
      const cell = (e.target as Element).closest<HTMLAnchorElement>("a.cell");
      if (!cell) return;
      const stringId = Number(cell.parentElement?.dataset.string);
      const row = blockSets.get(stringId)?.rows[Number(cell.dataset.block) - 1];
      if (row)
        cell.title = `String ${stringId} block ${row.block}\n${fixed(row.voltage, 3, "V")} · ${fixed(row.temperature, 1, "°C")} · ${fixed(row.resistance, 2, "mΩ")}`;
    });
  };

  renderKpis();
  renderCards();
  buildMap();
  ctx.onCleanup(
    store.on("plant", () => {
      renderKpis();
      renderCards();
    }),
  );
  ctx.onCleanup(store.on("blocks", renderMap));
  ctx.onCleanup(store.on("alarms", renderCards));
  await Promise.all(
    plant.strings.map(async (s) => {
      blockSets.set(s.id, await store.stringBlocks(s.id));
    }),
  );
  renderMap();
  renderCards();
};
