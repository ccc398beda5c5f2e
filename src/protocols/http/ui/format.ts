/// <reference lib="dom" />
/** Number, time and unit formatting shared by every page; a missing value shows as an en dash. */

export const DASH = "–";

export function fixed(value: number | null | undefined, digits: number, unit = ""): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return DASH;
  return unit ? `${value.toFixed(digits)} ${unit}` : value.toFixed(digits);
}

export function dateTime(ms: number | null | undefined): string {
  if (!ms) return DASH;
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  const hours = Math.floor(m / 60);
  return `${hours} h ${m % 60} min`;
}

export function ago(ms: number, now = Date.now()): string {
  return ms ? `${duration(now - ms)} ago` : DASH;
}
