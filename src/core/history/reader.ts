import { pointById } from "../points.js";
import { type PlantTopology, stringById } from "../topology.js";
import { seriesId } from "./series.js";
import type { HistoryQuery, HistoryReader, HistoryResolution, HistorySeries, HistoryStore } from "./types.js";

const DAY = 86_400_000;

/** `auto`: raw up to 2 days, per-minute up to 60 days, per-hour beyond. */
export function pickResolution(query: HistoryQuery): HistoryResolution {
  if (query.resolution && query.resolution !== "auto") return query.resolution;
  const span = query.to - query.from;
  return span <= 2 * DAY ? "raw" : span <= 60 * DAY ? "minute" : "hour";
}

export class HistoryQueryError extends Error {
  readonly code = "E_HISTORY_QUERY";
}

/** Resolves a query by place and point into series of the store. */
export function createHistoryReader(topology: PlantTopology, store: HistoryStore): HistoryReader {
  return {
    query(query) {
      const point = pointById(query.point);
      if (!point) throw new HistoryQueryError(`unknown point "${query.point}"`);
      if (!(query.to > query.from)) throw new HistoryQueryError("`to` must be after `from`");
      const resolution = pickResolution(query);
      const read = (stringId?: number, block?: number): HistorySeries => ({
        point: query.point,
        ...(stringId !== undefined ? { stringId } : {}),
        ...(block !== undefined ? { block } : {}),
        resolution,
        data: store.read(seriesId(point, stringId ?? 0, block ?? 0), resolution, query.from, query.to),
      });
      if (point.scope === "system") return [read()];
      if (query.stringId === undefined) throw new HistoryQueryError(`${query.point} needs a stringId`);
      const s = stringById(topology, query.stringId);
      if (!s) throw new HistoryQueryError(`no string ${query.stringId}`);
      if (point.scope === "string") return [read(s.id)];
      if (query.block !== undefined) {
        if (query.block < 1 || query.block > s.blockCount)
          throw new HistoryQueryError(`string ${s.id} has blocks 1..${s.blockCount}`);
        return [read(s.id, query.block)];
      }
      return Array.from({ length: s.blockCount }, (_, i) => read(s.id, i + 1));
    },
  };
}
