import type { PlantSnapshot, Sample } from "../core/model.js";
import { type PointId, pointById } from "../core/points.js";

/** ANSI colours, used only when the peer is a terminal. */
export interface Palette {
  red(text: string): string;
  yellow(text: string): string;
  bold(text: string): string;
}

const plain: Palette = { red: (t) => t, yellow: (t) => t, bold: (t) => t };
const ansi: Palette = {
  red: (t) => `\x1b[31m${t}\x1b[0m`,
  yellow: (t) => `\x1b[33m${t}\x1b[0m`,
  bold: (t) => `\x1b[1m${t}\x1b[0m`,
};

export function palette(colour: boolean): Palette {
  return colour ? ansi : plain;
}

/** Visible width, ignoring ANSI colour sequences. */
function width(text: string): number {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: strips ANSI escapes on purpose
  return text.replace(/\x1b\[[0-9;]*m/g, "").length;
}

/** An aligned table; numeric-looking columns are right-aligned. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(width(h), ...rows.map((r) => width(r[i] ?? ""))));
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((r) => /^[-+]?[\d.]+$|^-$/.test(r[i] ?? "")));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => {
        const pad = " ".repeat(Math.max(0, (widths[i] ?? 0) - width(c)));
        return numeric[i] ? pad + c : c + pad;
      })
      .join("  ")
      .trimEnd();
  return [line(headers), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

/** Column title with its unit from the point catalogue, e.g. `Voltage (V)`. */
export function heading(point: PointId): string {
  const def = pointById(point);
  if (!def) return point;
  return def.unit ? `${def.label} (${def.unit})` : def.label;
}

/** A sample as text: the value at the catalogue's resolution, its state name, or the quality when not good. */
export function cell(snapshot: PlantSnapshot, point: PointId, row: number): string {
  const s: Sample = snapshot.sample(point, row);
  if (s.quality !== "good" || Number.isNaN(s.value)) return s.quality === "good" ? "-" : s.quality;
  const def = pointById(point);
  if (def?.states) return def.states[s.value] ?? String(s.value);
  const decimals = def ? Math.max(0, Math.min(4, Math.round(-Math.log10(def.resolution)))) : 2;
  return s.value.toFixed(decimals);
}

/** A sample as JSON: the value, or null when not good. */
export function jsonValue(snapshot: PlantSnapshot, point: PointId, row: number): number | string | null {
  const s = snapshot.sample(point, row);
  if (s.quality !== "good" || Number.isNaN(s.value)) return null;
  const def = pointById(point);
  if (def?.states) return def.states[s.value] ?? s.value;
  return s.value;
}

export function isoTime(ms: number): string {
  return ms > 0 ? new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z") : "-";
}
