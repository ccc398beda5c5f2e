import { z } from "zod";
import { duration } from "../config/primitives.js";
import { POINTS } from "../points.js";

const POINT_IDS = POINTS.map((p) => p.id);

export const historyConfigSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    interval: duration
      .refine((ms) => ms >= 1000, "at least 1s")
      .default(60_000)
      .meta({ description: "Every point is stored at least this often." }),
    tick: duration
      .refine((ms) => ms >= 100, "at least 100ms")
      .default(1000)
      .meta({ description: "How often the model is looked at for significant changes and roll-ups." }),
    changeThresholds: z
      .record(
        z.string().refine((id) => POINT_IDS.includes(id), { message: `expected a point id: ${POINT_IDS.join(", ")}` }),
        z.number().nonnegative(),
      )
      .default({})
      .meta({
        description:
          "A value is also stored when it moved this far from the last stored one (point unit). Default: 10 × the point's resolution; enum and boolean points on every change.",
      }),
    retention: z
      .strictObject({
        raw: duration.default(7 * 86_400_000),
        minute: duration.default(30 * 86_400_000),
        hour: duration.default(3650 * 86_400_000),
      })
      .default({ raw: 7 * 86_400_000, minute: 30 * 86_400_000, hour: 3650 * 86_400_000 })
      .meta({ description: "How long raw samples, per-minute and per-hour min/avg/max are kept." }),
    flushInterval: duration
      .default(1000)
      .meta({ description: "Queued rows are committed at least this often (a crash loses at most this much)." }),
    flushRows: z
      .number()
      .int()
      .positive()
      .default(20_000)
      .meta({ description: "…or as soon as this many are queued." }),
    cacheMB: z.number().int().min(1).max(4096).default(16).meta({
      description:
        "SQLite page cache of history.db in MB; part of the gateway's memory. Pages beyond it are read from the OS file cache.",
    }),
  })
  .superRefine((c, ctx) => {
    if (c.retention.minute < c.retention.raw)
      ctx.addIssue({ code: "custom", path: ["retention", "minute"], message: "must be at least retention.raw" });
    if (c.retention.hour < c.retention.minute)
      ctx.addIssue({ code: "custom", path: ["retention", "hour"], message: "must be at least retention.minute" });
  })
  .meta({ description: "Measurement history (SQLite file history.db under storage.path)." });

export type HistoryConfig = z.output<typeof historyConfigSchema>;
