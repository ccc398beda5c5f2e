/**
 * The projection of the model onto JSON: REST field names are the point ids without their scope prefix
 * (`block.voltage` → `voltage`), enum points travel as their state names, missing values as null.
 */
import type { ActiveAlarm, Severity } from "../../core/events.js";
import { type PlantSnapshot, QUALITIES, type Quality } from "../../core/model.js";
import { POINTS, type PointDefinition, type PointId } from "../../core/points.js";
import type { SettingValue } from "../../core/settings.js";
import type { StringInfo } from "../../core/topology.js";

const OF_SCOPE = {
  system: POINTS.filter((p) => p.scope === "system"),
  string: POINTS.filter((p) => p.scope === "string"),
  block: POINTS.filter((p) => p.scope === "block"),
} as const;

/** The JSON key of a point: its id without the scope prefix. */
export function fieldOf(point: PointDefinition): string {
  return point.id.slice(point.scope.length + 1);
}

/** A value as JSON: null when unknown, the state name for enum points. */
export function jsonValue(point: PointDefinition, value: number): number | string | null {
  if (point.type === "enum") return Number.isNaN(value) ? "unknown" : (point.states?.[value] ?? String(value));
  // Six decimals hide binary float noise (13.447000000000001) and keep more than any probe resolves (1 µV, 1 µΩ).
  return Number.isFinite(value) ? Math.round(value * 1e6) / 1e6 : null;
}

const QUALITY_RANK: Record<Quality, number> = { good: 0, stale: 1, "comm-lost": 2, fault: 3 };
const SEVERITY_RANK: Record<Severity, number> = { info: 1, warning: 2, critical: 3 };

function valuesAt(snapshot: PlantSnapshot, scope: keyof typeof OF_SCOPE, row: number) {
  const values: Record<string, number | string | null> = {};
  const quality: Record<string, Quality> = {};
  for (const p of OF_SCOPE[scope]) {
    const column = snapshot.column(p.id as PointId);
    values[fieldOf(p)] = jsonValue(p, column.value(row));
    quality[fieldOf(p)] = QUALITIES[column.quality(row)] ?? "stale";
  }
  return { values, quality };
}

export function systemValues(snapshot: PlantSnapshot) {
  return valuesAt(snapshot, "system", 0).values;
}

export function stringJson(snapshot: PlantSnapshot, s: StringInfo) {
  const { values, quality } = valuesAt(snapshot, "string", s.index);
  return {
    id: s.id,
    name: s.name,
    bus: s.bus,
    chemistry: s.chemistry,
    nominalBlockVoltage: s.nominalBlockVoltage,
    blockCount: s.blockCount,
    capacityAh: s.capacityAh,
    values,
    quality,
    alarms: snapshot.alarmSummary.byString[String(s.id)] ?? 0,
  };
}

export function plantJson(snapshot: PlantSnapshot) {
  const devices = { total: snapshot.devices.length, ok: 0, commLost: 0, unknown: 0 };
  for (const d of snapshot.devices) {
    if (d.comm === "ok") devices.ok++;
    else if (d.comm === "unknown") devices.unknown++;
    else devices.commLost++;
  }
  return {
    version: snapshot.version,
    time: snapshot.time,
    site: snapshot.topology.site,
    values: systemValues(snapshot),
    strings: snapshot.topology.strings.map((s) => stringJson(snapshot, s)),
    blockCount: snapshot.topology.blockCount,
    alarmSummary: snapshot.alarmSummary,
    devices,
  };
}

/** Highest alarm severity per block of a string (index = block − 1). */
export function blockAlarmSeverities(alarms: readonly ActiveAlarm[], s: StringInfo): (Severity | null)[] {
  const result: (Severity | null)[] = new Array(s.blockCount).fill(null);
  for (const a of alarms) {
    if (a.stringId !== s.id || a.block === undefined) continue;
    const current = result[a.block - 1];
    if (current === undefined) continue;
    if (current === null || SEVERITY_RANK[a.severity] > SEVERITY_RANK[current]) result[a.block - 1] = a.severity;
  }
  return result;
}

/** Blocks `offset` .. `offset + limit − 1` (0-based) of a string as rows. */
export function blockRows(snapshot: PlantSnapshot, s: StringInfo, offset: number, limit: number) {
  const severities = blockAlarmSeverities(snapshot.alarms, s);
  const columns = OF_SCOPE.block.map((p) => ({ p, key: fieldOf(p), column: snapshot.column(p.id as PointId) }));
  const end = Math.min(s.blockCount, offset + limit);
  const rows = [];
  for (let i = offset; i < end; i++) {
    const row = s.firstBlockRow + i;
    const block: Record<string, number | string | null> = { block: i + 1 };
    let worst: Quality = "good";
    for (const { p, key, column } of columns) {
      block[key] = jsonValue(p, column.value(row));
      if (p.source !== "measured") continue;
      const q = QUALITIES[column.quality(row)] ?? "stale";
      if (QUALITY_RANK[q] > QUALITY_RANK[worst]) worst = q;
    }
    rows.push({ ...block, quality: worst, alarm: severities[i] ?? null });
  }
  return rows;
}

export function blockJson(snapshot: PlantSnapshot, s: StringInfo, block: number) {
  const row = s.firstBlockRow + block - 1;
  const samples: Record<string, { value: number | string | null; quality: Quality; time: number }> = {};
  for (const p of OF_SCOPE.block) {
    const sample = snapshot.sample(p.id as PointId, row);
    samples[fieldOf(p)] = { value: jsonValue(p, sample.value), quality: sample.quality, time: sample.time };
  }
  return {
    stringId: s.id,
    block,
    values: valuesAt(snapshot, "block", row).values,
    samples,
    alarms: snapshot.alarms.filter((a) => a.stringId === s.id && a.block === block),
  };
}

/**
 * Threshold lines for charts from the settings in force: `{ blockVoltage: { highAlarm: 14.4, … }, … }`, keyed by
 * the setting group (the config path under alarms.thresholds).
 */
export function thresholdsJson(settings: readonly SettingValue[] | undefined): Record<string, Record<string, number>> {
  const result: Record<string, Record<string, number>> = {};
  for (const s of settings ?? []) {
    const [area, section, group, key] = s.path;
    if (area !== "alarms" || section !== "thresholds" || !group || !key || !Number.isFinite(s.value)) continue;
    result[group] ??= {};
    result[group][key] = s.value;
  }
  return result;
}

/** Typed arrays → JSON arrays with NaN as null. */
export function numbersJson(values: Float64Array): (number | null)[] {
  return Array.from(values, (v) => (Number.isFinite(v) ? v : null));
}
