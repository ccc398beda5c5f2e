/**
 * `/metrics` in the Prometheus text exposition format (version 0.0.4): every point of the catalogue as a gauge with
 * string/block labels (values of bad quality are left out, as Prometheus expects of absent samples), alarm counts,
 * per-device poll statistics, and each component's health state and counters (requests, logins, PDUs …).
 */
import type { HealthReport } from "../../core/adapter.js";
import { type PlantSnapshot, Q_GOOD } from "../../core/model.js";
import { POINTS, type PointDefinition, type PointId, type Unit } from "../../core/points.js";

/** Prometheus base-unit suffix and the factor from the model's unit. */
const UNIT: Record<Unit, { suffix: string; factor: number }> = {
  V: { suffix: "_volts", factor: 1 },
  A: { suffix: "_amperes", factor: 1 },
  "°C": { suffix: "_celsius", factor: 1 },
  mΩ: { suffix: "_ohms", factor: 0.001 },
  "%": { suffix: "_percent", factor: 1 },
  "%RH": { suffix: "_percent", factor: 1 },
  Ah: { suffix: "_ampere_hours", factor: 1 },
  s: { suffix: "_seconds", factor: 1 },
  "": { suffix: "", factor: 1 },
};

/** `block.voltage` → `bmsgw_block_voltage_volts`. */
export function metricName(point: PointDefinition): string {
  const snake = point.id
    .replace(/\./g, "_")
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .toLowerCase();
  return `bmsgw_${snake}${UNIT[point.unit].suffix}`;
}

const escapeLabel = (value: string) => value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
const escapeHelp = (value: string) => value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");

function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  if (value === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(value);
}

export function renderMetrics(snapshot: PlantSnapshot, health: readonly HealthReport[]): string {
  const out: string[] = [];
  const family = (name: string, type: "gauge" | "counter", help: string) =>
    out.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`);
  const sample = (name: string, labels: Record<string, string | number>, value: number) => {
    const text = Object.entries(labels)
      .map(([k, v]) => `${k}="${escapeLabel(String(v))}"`)
      .join(",");
    out.push(`${name}${text ? `{${text}}` : ""} ${formatValue(value)}`);
  };
  const { topology } = snapshot;

  for (const point of POINTS) {
    const name = metricName(point);
    const { factor } = UNIT[point.unit];
    family(name, "gauge", `${point.description}${point.states ? ` States: ${point.states.join(", ")}.` : ""}`);
    const column = snapshot.column(point.id as PointId);
    const emit = (row: number, labels: Record<string, string | number>) => {
      const value = column.value(row);
      if (column.quality(row) !== Q_GOOD || !Number.isFinite(value)) return;
      sample(name, labels, value * factor);
    };
    if (point.scope === "system") emit(0, {});
    else if (point.scope === "string") for (const s of topology.strings) emit(s.index, { string: s.id });
    else
      for (const s of topology.strings)
        for (let b = 0; b < s.blockCount; b++) emit(s.firstBlockRow + b, { string: s.id, block: b + 1 });
  }

  family("bmsgw_alarms_active", "gauge", "Active alarms by severity.");
  for (const severity of ["critical", "warning", "info"] as const)
    sample("bmsgw_alarms_active", { severity }, snapshot.alarmSummary[severity]);
  family("bmsgw_alarms_unacknowledged", "gauge", "Active alarms not yet acknowledged.");
  sample("bmsgw_alarms_unacknowledged", {}, snapshot.alarmSummary.unacknowledged);

  family("bmsgw_snapshot_version", "counter", "Model snapshots committed since start (one per poll sweep or change).");
  sample("bmsgw_snapshot_version", {}, snapshot.version);

  const deviceLabels = (index: number) => {
    const d = topology.devices[index];
    return { bus: d?.bus ?? "", address: d?.address ?? 0, profile: d?.profile.id ?? "" };
  };
  family("bmsgw_device_up", "gauge", "1 when the device answers its polls, 0 otherwise.");
  for (const d of snapshot.devices) sample("bmsgw_device_up", deviceLabels(d.index), d.comm === "ok" ? 1 : 0);
  family("bmsgw_device_transactions_total", "counter", "Poll transactions with the device.");
  for (const d of snapshot.devices) sample("bmsgw_device_transactions_total", deviceLabels(d.index), d.transactions);
  family("bmsgw_device_failures_total", "counter", "Poll transactions that failed (timeout, CRC, exception).");
  for (const d of snapshot.devices) sample("bmsgw_device_failures_total", deviceLabels(d.index), d.failures);

  family("bmsgw_component_up", "gauge", "1 when the component's health is ok, 0 otherwise; state in the label.");
  for (const h of health)
    sample("bmsgw_component_up", { component: h.component, state: h.state }, h.state === "ok" ? 1 : 0);
  family("bmsgw_component_events_total", "counter", "Per-component counters: requests, logins, PDUs, traps, sweeps …");
  for (const h of health)
    for (const [counter, value] of Object.entries(h.counters))
      sample("bmsgw_component_events_total", { component: h.component, counter }, value);

  return `${out.join("\n")}\n`;
}
