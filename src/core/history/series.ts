import { POINTS, type PointDefinition, type PointId, pointById } from "../points.js";

/**
 * A series is one point at one place, keyed by a stable integer built from the point's scope and number and the
 * configured string id and block number — never from topology order, so a config change does not remap history:
 * ((scope × 256 + point number) × 2^20) + string id × 1024 + block.
 */
const SCOPES = ["system", "string", "block"] as const;

export function seriesId(point: PointDefinition, stringId = 0, block = 0): number {
  return (SCOPES.indexOf(point.scope) * 256 + point.number) * 2 ** 20 + stringId * 1024 + block;
}

const byKey = new Map<number, PointDefinition>(POINTS.map((p) => [SCOPES.indexOf(p.scope) * 256 + p.number, p]));

export function decodeSeries(series: number): { point: PointDefinition; stringId: number; block: number } {
  const key = Math.floor(series / 2 ** 20);
  const point = byKey.get(key);
  if (!point) throw new RangeError(`unknown history series ${series}`);
  const rest = series % 2 ** 20;
  return { point, stringId: Math.floor(rest / 1024), block: rest % 1024 };
}

/** Values are stored as integers in steps of the point's resolution (1 mV, 0.1 °C …): smaller rows, exact. */
export function resolutionOf(series: number): number {
  return decodeSeries(series).point.resolution;
}

export function pointDefinition(id: PointId): PointDefinition {
  return pointById(id) as PointDefinition;
}
