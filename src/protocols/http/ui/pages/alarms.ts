/// <reference lib="dom" />
import type { Alarm } from "../api.js";
import { h, replace } from "../dom.js";
import { dateTime, fixed } from "../format.js";
import { errorText, messageLine, type Page, type PageContext, panel } from "../page.js";

const MAX_ROWS = 500;
const SEVERITY_ORDER = { critical: 0, warning: 1, info: 2 } as const;

function place(a: Alarm): Node | string {
  if (a.stringId === undefined) return "Plant";
  if (a.block === undefined) return h("a", { href: `/strings/${a.stringId}` }, `String ${a.stringId}`);
  return h("a", { href: `/strings/${a.stringId}/blocks/${a.block}` }, `String ${a.stringId} / block ${a.block}`);
}

/** A table of alarms with an Acknowledge button per unacknowledged alarm (operators and admins). */
export function alarmTable(ctx: PageContext, alarms: readonly Alarm[], label: string): HTMLElement {
  const canAck = ctx.hasRole("operator", "admin");
  const message = messageLine();
  const sorted = [...alarms].sort(
    (a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] || b.raisedAt - a.raisedAt,
  );
  const rows = sorted.slice(0, MAX_ROWS).map((a) => {
    const acknowledged = a.acknowledgedAt !== undefined;
    const ack = h(
      "button",
      {
        type: "button",
        "aria-label": `Acknowledge alarm ${a.id}: ${a.text}`,
        onclick: async () => {
          ack.disabled = true;
          try {
            await ctx.api.send("POST", `/api/alarms/${a.id}/acknowledge`);
            ack.textContent = "Acknowledged";
          } catch (error) {
            ack.disabled = false;
            message.show(`Acknowledge failed: ${errorText(error)}`);
          }
        },
      },
      "Acknowledge",
    );
    return h(
      "tr",
      { "data-alarm": a.id, "data-name": a.name, class: `s-${a.severity === "critical" ? "alarm" : a.severity}` },
      h("td", {}, h("span", { class: `pill s-${a.severity}` }, a.severity)),
      h("td", { class: "nowrap" }, dateTime(a.raisedAt)),
      h("td", { class: "nowrap" }, place(a)),
      h("td", {}, a.text),
      h("td", { class: "num" }, a.value !== undefined ? fixed(a.value, 3) : "–"),
      h("td", { class: "num" }, a.threshold !== undefined ? fixed(a.threshold, 3) : "–"),
      h(
        "td",
        {},
        acknowledged
          ? h("span", { class: "muted" }, `by ${a.acknowledgedBy ?? "?"}, ${dateTime(a.acknowledgedAt)}`)
          : canAck
            ? ack
            : h("span", { class: "pill s-warning" }, "unacknowledged"),
      ),
    );
  });
  return h(
    "div",
    {},
    message,
    h(
      "table",
      { class: "data simple", "aria-label": label },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          ["Severity", "Raised", "Where", "Alarm", "Value", "Threshold", "Acknowledged"].map((t) =>
            h("th", { scope: "col", class: t === "Value" || t === "Threshold" ? "num" : undefined }, t),
          ),
        ),
      ),
      h("tbody", {}, rows),
    ),
    sorted.length > MAX_ROWS
      ? h("p", { class: "muted" }, `Showing ${MAX_ROWS} of ${sorted.length}; narrow the filter.`)
      : null,
  );
}

/** Alarms: the active alarm list, filtered by severity, string and acknowledgement, updated live. */
export const alarmsPage: Page = (ctx) => {
  ctx.setTitle("Alarms", "Active alarms, live");
  const severity = h(
    "select",
    { id: "alarm-severity" },
    h("option", { value: "" }, "All"),
    h("option", { value: "critical" }, "Critical"),
    h("option", { value: "warning" }, "Warning"),
    h("option", { value: "info" }, "Info"),
  );
  const stringFilter = h(
    "select",
    { id: "alarm-string" },
    h("option", { value: "" }, "All strings"),
    (ctx.store.plant?.strings ?? []).map((s) => h("option", { value: String(s.id) }, s.name)),
  );
  const unackedOnly = h("input", { id: "alarm-unacked", type: "checkbox" });
  const search = h("input", { id: "alarm-search", type: "search", placeholder: "Text contains…" });
  const message = messageLine();
  const ackAll = h(
    "button",
    {
      type: "button",
      onclick: async () => {
        try {
          await ctx.api.send("POST", "/api/alarms/all/acknowledge");
          message.show("All alarms acknowledged.", "ok");
        } catch (error) {
          message.show(errorText(error));
        }
      },
    },
    "Acknowledge all",
  );
  const box = h("div", {});
  const render = () => {
    const text = search.value.trim().toLowerCase();
    const list = ctx.store.alarms.filter(
      (a) =>
        (!severity.value || a.severity === severity.value) &&
        (!stringFilter.value || a.stringId === Number(stringFilter.value)) &&
        (!unackedOnly.checked || a.acknowledgedAt === undefined) &&
        (!text || a.text.toLowerCase().includes(text) || a.name.includes(text)),
    );
    replace(
      box,
      list.length === 0
        ? h("p", { class: "muted" }, "No active alarms match.")
        : alarmTable(ctx, list, "Active alarms"),
    );
  };
  for (const input of [severity, stringFilter, unackedOnly]) input.addEventListener("change", render);
  search.addEventListener("input", render);
  ctx.root.append(
    panel(
      "Active alarms",
      { controls: ctx.hasRole("operator", "admin") ? [ackAll] : [] },
      h(
        "div",
        { class: "filters", role: "search", "aria-label": "Alarm filter" },
        h("label", { class: "field", for: "alarm-severity" }, "Severity", severity),
        h("label", { class: "field", for: "alarm-string" }, "String", stringFilter),
        h("label", { class: "field", for: "alarm-search" }, "Text", search),
        h("label", { for: "alarm-unacked" }, unackedOnly, " Unacknowledged only"),
      ),
      message,
      h("div", { class: "spacer-12" }),
      box,
    ),
  );
  render();
  ctx.onCleanup(ctx.store.on("alarms", render));
};
