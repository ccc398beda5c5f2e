import { z } from "zod";
import { EVENT_CATALOGUE, eventById } from "./alarms/catalogue.js";
import { type EventKind, type EventRecord, SEVERITIES, type Severity } from "./events.js";

export const EVENT_KINDS = [
  "alarm-raised",
  "alarm-cleared",
  "alarm-acknowledged",
  "event",
  "audit",
] as const satisfies readonly EventKind[];

/** An event id (number) or catalogue name, checked against the event catalogue and normalized to the id. */
export const eventRef = z.union([z.number().int(), z.string().min(1)]).transform((ref, ctx) => {
  const def =
    typeof ref === "number" ? eventById(ref) : EVENT_CATALOGUE.find((d) => d.name === ref || String(d.eventId) === ref);
  if (!def) {
    ctx.addIssue({ code: "custom", message: `unknown event ${ref}; use an id or name from the event catalogue` });
    return z.NEVER;
  }
  return def.eventId;
});

/**
 * The filter every notification destination (syslog, e-mail …) applies: every part that is set must match.
 * `verb` words the descriptions ("sent", "mailed"); the defaults differ per destination kind.
 */
export function eventFilterSchema(defaults: { minSeverity: Severity; kinds: readonly EventKind[]; verb: string }) {
  return z
    .strictObject({
      minSeverity: z
        .enum(SEVERITIES)
        .default(defaults.minSeverity)
        .meta({ description: `Lowest severity ${defaults.verb} (info < warning < critical).` }),
      kinds: z
        .array(z.enum(EVENT_KINDS))
        .default([...defaults.kinds])
        .meta({
          description: `Record kinds ${defaults.verb}: alarm-raised, alarm-cleared, alarm-acknowledged, event, audit.`,
        }),
      events: z.array(eventRef).default([]).meta({ description: "Only these event ids or names; empty = all." }),
      excludeEvents: z.array(eventRef).default([]).meta({ description: "Never these event ids or names." }),
      strings: z.array(z.number().int().min(1)).default([]).meta({
        description:
          "Only events about these string ids (events without a string, e.g. audit, still pass); empty = all.",
      }),
    })
    .meta({ description: "Filter on severity, record kind, event id and string." });
}

export type EventFilter = z.output<ReturnType<typeof eventFilterSchema>>;

/** Whether a destination with this filter receives the record. */
export function matchesEventFilter(filter: EventFilter, record: EventRecord): boolean {
  if (SEVERITIES.indexOf(record.severity) < SEVERITIES.indexOf(filter.minSeverity)) return false;
  if (!filter.kinds.includes(record.kind)) return false;
  if (filter.events.length > 0 && !filter.events.includes(record.eventId)) return false;
  if (filter.excludeEvents.includes(record.eventId)) return false;
  if (filter.strings.length > 0 && record.stringId !== undefined && !filter.strings.includes(record.stringId))
    return false;
  return true;
}
