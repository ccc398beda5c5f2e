import { z } from "zod";

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses `250ms`, `30s`, `10m`, `2h`, `7d` or a bare number of milliseconds. */
export function parseDuration(text: string | number): number | undefined {
  if (typeof text === "number") return Number.isFinite(text) && text >= 0 ? text : undefined;
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(text);
  if (!match) return undefined;
  return Number(match[1]) * (UNIT_MS[match[2] ?? "ms"] ?? 1);
}

/** A duration in the config: a number of milliseconds or a string such as `30s`; validated to milliseconds. */
export const duration = z
  .union([
    z.number().nonnegative(),
    z.string().regex(/^\s*\d+(\.\d+)?\s*(ms|s|m|h|d)?\s*$/, "expected e.g. 500ms, 30s, 10m, 2h, 7d"),
  ])
  .transform((value) => parseDuration(value) ?? 0)
  .meta({ description: "Duration: milliseconds, or a number with unit ms, s, m, h or d (e.g. 30s)." });

export const port = z.number().int().min(0).max(65535).meta({ description: "TCP/UDP port; 0 picks a free port." });

export const host = z.string().min(1).meta({ description: "Address to bind or connect to." });

/** The fields every network listener shares. */
export function listener(defaults: { enabled: boolean; host: string; port: number }) {
  return {
    enabled: z.boolean().default(defaults.enabled),
    host: host.default(defaults.host),
    port: port.default(defaults.port),
  };
}
