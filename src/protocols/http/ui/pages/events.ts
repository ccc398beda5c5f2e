/// <reference lib="dom" />
import { type EventRecord, withQuery } from "../api.js";
import { h, setText } from "../dom.js";
import { dateTime, fixed } from "../format.js";
import { errorText, messageLine, type Page, panel } from "../page.js";
import { type Column, VirtualTable } from "../virtual-table.js";

const KINDS = ["alarm-raised", "alarm-cleared", "alarm-acknowledged", "event", "audit"] as const;

function localInput(id: string): HTMLInputElement {
  return h("input", { id, type: "datetime-local" });
}

/** Events: the persistent event log with filters, a CSV export of the same filter, new events arriving live. */
export const eventsPage: Page = async (ctx) => {
  ctx.setTitle("Events", "Event log");
  const from = localInput("event-from");
  const to = localInput("event-to");
  const severity = h(
    "select",
    { id: "event-severity" },
    h("option", { value: "" }, "Any"),
    h("option", { value: "warning" }, "Warning and above"),
    h("option", { value: "critical" }, "Critical"),
  );
  const kind = h(
    "select",
    { id: "event-kind" },
    h("option", { value: "" }, "All kinds"),
    KINDS.filter((k) => k !== "audit" || ctx.hasRole("admin")).map((k) => h("option", { value: k }, k)),
  );
  const stringFilter = h(
    "select",
    { id: "event-string" },
    h("option", { value: "" }, "All strings"),
    (ctx.store.plant?.strings ?? []).map((s) => h("option", { value: String(s.id) }, s.name)),
  );
  const csv = h("a", { class: "button", href: "/api/events.csv", download: "events.csv" }, "Export CSV");
  const count = h("span", { class: "muted", "aria-live": "polite" });
  const message = messageLine();

  const query = () => {
    const q: Record<string, string | number | undefined> = {
      minSeverity: severity.value || undefined,
      kind: kind.value || (ctx.hasRole("admin") ? undefined : KINDS.filter((k) => k !== "audit").join(",")),
      stringId: stringFilter.value || undefined,
      from: from.value ? new Date(from.value).getTime() : undefined,
      to: to.value ? new Date(to.value).getTime() : undefined,
    };
    return q;
  };

  const columns: Column<EventRecord>[] = [
    {
      key: "time",
      label: "Time",
      width: "190px",
      sortValue: (e) => e.time,
      render: (e, c) => (c.textContent = dateTime(e.time)),
    },
    {
      key: "severity",
      label: "Severity",
      width: "100px",
      sortValue: (e) => e.severity,
      render: (e, c) => {
        c.replaceChildren(h("span", { class: `pill s-${e.severity}` }, e.severity));
      },
    },
    {
      key: "kind",
      label: "Kind",
      width: "175px",
      sortValue: (e) => e.kind,
      render: (e, c) => (c.textContent = e.kind),
    },
    {
      key: "where",
      label: "Where",
      width: "130px",
      sortValue: (e) => (e.stringId ?? 0) * 100_000 + (e.block ?? 0),
      render: (e, c) =>
        (c.textContent =
          e.stringId === undefined ? "–" : e.block === undefined ? `S${e.stringId}` : `S${e.stringId} / B${e.block}`),
    },
    {
      key: "text",
      label: "Text",
      render: (e, c) => {
        c.textContent = e.text;
        c.title = e.text;
      },
    },
    {
      key: "value",
      label: "Value",
      width: "90px",
      numeric: true,
      render: (e, c) => (c.textContent = e.value !== undefined ? fixed(e.value, 3) : "–"),
    },
    { key: "user", label: "User", width: "110px", render: (e, c) => (c.textContent = e.user ?? "") },
  ];
  const table = new VirtualTable<EventRecord>({
    label: "Events",
    columns,
    rowKey: (e) => String(e.seq),
    initialSort: { key: "time", descending: true },
    emptyText: "No events match the filter.",
  });
  let rows: EventRecord[] = [];

  const load = async () => {
    message.clear();
    const q = query();
    csv.href = withQuery("/api/events.csv", { ...q, order: "asc", limit: 100_000 });
    try {
      const result = await ctx.api.get<{ total: number; events: EventRecord[] }>("/api/events", { ...q, limit: 5000 });
      rows = result.events;
      table.setRows(rows);
      setText(count, result.total > rows.length ? `${rows.length} of ${result.total} events` : `${rows.length} events`);
    } catch (error) {
      message.show(`Events could not be loaded: ${errorText(error)}`);
    }
  };
  for (const input of [from, to, severity, kind, stringFilter]) input.addEventListener("change", () => void load());

  ctx.root.append(
    panel(
      "Event log",
      { flush: true, controls: [count, csv] },
      h(
        "div",
        { class: "filters", role: "search", "aria-label": "Event filter", style: undefined },
        h("label", { class: "field", for: "event-from" }, "From", from),
        h("label", { class: "field", for: "event-to" }, "To", to),
        h("label", { class: "field", for: "event-severity" }, "Severity", severity),
        h("label", { class: "field", for: "event-kind" }, "Kind", kind),
        h("label", { class: "field", for: "event-string" }, "String", stringFilter),
      ),
      message,
      table.element,
    ),
  );
  await load();
  // New events arrive live; add the ones the filter would show (an open-ended range only).
  ctx.onCleanup(
    ctx.store.on("event", (detail) => {
      const e = detail as EventRecord;
      const q = query();
      if (q.to !== undefined) return;
      if (q.stringId !== undefined && e.stringId !== Number(q.stringId)) return;
      if (q.minSeverity === "critical" && e.severity !== "critical") return;
      if (q.minSeverity === "warning" && e.severity === "info") return;
      if (kind.value && e.kind !== kind.value) return;
      rows = [e, ...rows];
      table.setRows(rows);
    }),
  );
};
