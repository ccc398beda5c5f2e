/// <reference lib="dom" />
import type { Bus, BusDevice, HealthComponent } from "../api.js";
import { h, replace } from "../dom.js";
import { ago } from "../format.js";
import { type Page, panel } from "../page.js";

const COMM_STATUS: Record<string, string> = {
  ok: "s-ok",
  "comm-lost": "s-alarm",
  "wrong-device": "s-alarm",
  unknown: "",
};

function role(d: BusDevice): string {
  if (d.role === "blocks") {
    const first = d.firstBlock ?? 0;
    const count = d.blockCount ?? 1;
    return count > 1
      ? `String ${d.stringId} blocks ${first}–${first + count - 1}`
      : `String ${d.stringId} block ${first}`;
  }
  if (d.role === "string-sensor") return `String ${d.stringId} sensor`;
  if (d.role === "relay") return `String ${d.stringId} relay`;
  return "Environment";
}

/** Buses and probes: every RS485 bus with its devices, their communication state and counters (discovery results). */
export const busesPage: Page = async (ctx) => {
  ctx.setTitle("Buses & probes", "Field devices and their communication");
  const healthBox = h("div", {});
  const busBox = h("div", { class: "chart-stack" });
  ctx.root.append(panel("Gateway components", {}, healthBox), busBox);

  const renderHealth = async () => {
    const health = await ctx.api.get<{ state: string; components: HealthComponent[] }>("/api/health");
    replace(
      healthBox,
      h(
        "table",
        { class: "data simple", "aria-label": "Gateway components" },
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            ["Component", "State", "Detail", "Listening"].map((t) => h("th", { scope: "col" }, t)),
          ),
        ),
        h(
          "tbody",
          {},
          health.components.map((c) =>
            h(
              "tr",
              {},
              h("td", {}, c.component),
              h(
                "td",
                {},
                h(
                  "span",
                  { class: `pill ${c.state === "ok" ? "s-ok" : c.state === "down" ? "s-alarm" : "s-warning"}` },
                  c.state,
                ),
              ),
              h("td", {}, c.text),
              h("td", {}, c.listeners.join(", ")),
            ),
          ),
        ),
      ),
    );
  };

  const renderBuses = async () => {
    const buses = await ctx.api.get<Bus[]>("/api/buses");
    replace(
      busBox,
      buses.map((bus) => {
        const ok = bus.devices.filter((d) => d.comm === "ok").length;
        return panel(
          `Bus ${bus.id}`,
          {
            flush: true,
            id: `bus-${bus.id}`,
            controls: [
              h(
                "span",
                { class: `pill ${ok === bus.devices.length ? "s-ok" : "s-alarm"}` },
                `${ok} / ${bus.devices.length} online`,
              ),
            ],
          },
          h(
            "div",
            { class: "table-scroll short" },
            h(
              "table",
              { class: "data simple", "aria-label": `Devices on bus ${bus.id}` },
              h(
                "thead",
                {},
                h(
                  "tr",
                  {},
                  [
                    "Address",
                    "Profile",
                    "Role",
                    "State",
                    "Serial",
                    "Firmware",
                    "Last answer",
                    "Transactions",
                    "Failures",
                    "Note",
                  ].map((t) => h("th", { scope: "col" }, t)),
                ),
              ),
              h(
                "tbody",
                {},
                bus.devices.map((d) =>
                  h(
                    "tr",
                    {},
                    h("td", { class: "num" }, d.address),
                    h("td", {}, d.profile),
                    h("td", {}, role(d)),
                    h("td", {}, h("span", { class: `pill ${COMM_STATUS[d.comm] ?? ""}` }, d.comm)),
                    h("td", {}, d.serial ?? "–"),
                    h("td", {}, d.firmware ?? "–"),
                    h("td", {}, d.lastOk ? ago(d.lastOk) : "never"),
                    h("td", { class: "num" }, d.transactions),
                    h("td", { class: "num" }, d.failures),
                    h("td", {}, d.note ?? ""),
                  ),
                ),
              ),
            ),
          ),
        );
      }),
    );
  };
  await Promise.all([renderHealth(), renderBuses()]);
  // Device states change rarely; a refresh every few plant messages is plenty and costs one small request.
  let ticks = 0;
  ctx.onCleanup(
    ctx.store.on("plant", () => {
      if (++ticks % 5 === 0) void renderBuses();
    }),
  );
};
