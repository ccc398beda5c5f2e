/// <reference lib="dom" />
import type { BlockRow, Severity, Thresholds } from "./api.js";

/**
 * Colour coding against thresholds, like BACS's module table: each value is judged against the alarm levels in
 * force (from the settings API), and a block takes the worst of its values and its active alarms.
 */

export type Status = "ok" | "warning" | "alarm" | "stale";

const RANK: Record<Status, number> = { ok: 0, stale: 1, warning: 2, alarm: 3 };

export function worst(...statuses: Status[]): Status {
  return statuses.reduce((w, s) => (RANK[s] > RANK[w] ? s : w), "ok");
}

const has = (n: number | undefined): n is number => n !== undefined && Number.isFinite(n);

export function voltageStatus(v: number | null, t: Thresholds): Status {
  if (v === null) return "stale";
  const th = t.blockVoltage ?? {};
  if ((has(th.highAlarm) && v >= th.highAlarm) || (has(th.lowAlarm) && v <= th.lowAlarm)) return "alarm";
  if ((has(th.highWarning) && v >= th.highWarning) || (has(th.lowWarning) && v <= th.lowWarning)) return "warning";
  return "ok";
}

export function temperatureStatus(v: number | null, t: Thresholds): Status {
  if (v === null) return "stale";
  const th = t.blockTemperature ?? {};
  if (has(th.highAlarm) && v >= th.highAlarm) return "alarm";
  if ((has(th.highWarning) && v >= th.highWarning) || (has(th.low) && v <= th.low)) return "warning";
  return "ok";
}

export function resistanceStatus(v: number | null, t: Thresholds): Status {
  if (v === null) return "ok";
  const limit = t.resistance?.absolute;
  return has(limit) && limit > 0 && v >= limit ? "alarm" : "ok";
}

export function socStatus(v: number | null, t: Thresholds): Status {
  if (v === null) return "ok";
  const low = t.soc?.low;
  return has(low) && v <= low ? "warning" : "ok";
}

/** IEEE 450: replace below 80 % capacity. */
export function sohStatus(v: number | null): Status {
  return v !== null && v < 80 ? "warning" : "ok";
}

export function equalizationStatus(v: string | null): Status {
  return v === "failed" ? "alarm" : "ok";
}

export function severityStatus(s: Severity | null): Status {
  return s === "critical" ? "alarm" : s === "warning" ? "warning" : "ok";
}

export function blockStatus(row: BlockRow, t: Thresholds): Status {
  const fromAlarm = severityStatus(row.alarm);
  const fromValues = worst(
    voltageStatus(row.voltage, t),
    temperatureStatus(row.temperature, t),
    resistanceStatus(row.resistance, t),
    equalizationStatus(row.equalization),
  );
  if (row.quality !== "good" && fromAlarm === "ok") return "stale";
  return worst(fromAlarm, fromValues === "stale" ? "ok" : fromValues);
}

export const STATUS_TEXT: Record<Status, string> = {
  ok: "Normal",
  warning: "Warning",
  alarm: "Alarm",
  stale: "No data",
};
