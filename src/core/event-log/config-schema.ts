import { z } from "zod";
import { duration } from "../config/primitives.js";

export const eventLogConfigSchema = z
  .strictObject({
    maxAge: duration.default(5 * 365 * 86_400_000).meta({ description: "Events older than this are deleted." }),
    maxSizeMB: z
      .number()
      .positive()
      .default(200)
      .meta({ description: "When the log uses more, the oldest events are deleted down to 90 %." }),
    flushInterval: duration
      .default(100)
      .meta({ description: "Events are written in one transaction at most this long after they happen." }),
  })
  .meta({ description: "Persistent event log (SQLite file events.db under storage.path)." });

export type EventLogConfig = z.output<typeof eventLogConfigSchema>;
