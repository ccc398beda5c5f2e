/** Projection of events onto e-mail: who gets them, and a subject and body a person on call can read on a phone. */
import { eventById } from "../../core/alarms/catalogue.js";
import type { SiteConfig } from "../../core/config/core-schema.js";
import type { EventRecord } from "../../core/events.js";
import { SEVERITIES } from "../../core/events.js";
import type { StringInfo } from "../../core/topology.js";
import type { EmailConfig } from "./config-schema.js";

export interface MailContext {
  readonly site: SiteConfig;
  readonly strings: readonly StringInfo[];
  readonly webUiUrl?: string;
}

export interface MailContent {
  readonly subject: string;
  readonly text: string;
}

export { matchesEventFilter as matchesFilter } from "../../core/event-filter.js";

export function recipientsFor(config: EmailConfig, record: Pick<EventRecord, "severity">): readonly string[] {
  return config.recipients[record.severity];
}

const TRANSITION: Record<EventRecord["kind"], string> = {
  "alarm-raised": "raised",
  "alarm-cleared": "cleared",
  "alarm-acknowledged": "acknowledged",
  event: "",
  audit: "(audit)",
};

function formatNumber(value: number): string {
  return String(Number(value.toPrecision(6)));
}

/** `string 1 block 17`, or empty for system-wide events. */
function where(record: EventRecord): string {
  if (record.stringId === undefined) return "";
  return record.block === undefined ? `string ${record.stringId}` : `string ${record.stringId} block ${record.block}`;
}

/** `1 (String A)`; the name is left out when it only repeats the number. */
function stringLabel(stringId: number, ctx: MailContext): string {
  const name = ctx.strings.find((s) => s.id === stringId)?.name;
  return name && name !== String(stringId) && name !== `String ${stringId}`
    ? `${stringId} (${name})`
    : String(stringId);
}

function headline(record: EventRecord): string {
  const transition = TRANSITION[record.kind];
  return transition ? `${record.name} ${transition}` : record.name;
}

/** Subjects stay on one line of plain text: `[WARNING] Site: block-voltage-low raised - string 1 block 17`. */
export function singleMail(record: EventRecord, ctx: MailContext): MailContent {
  const place = where(record);
  const subject = oneLine(
    `[${record.severity.toUpperCase()}] ${ctx.site.name}: ${headline(record)}${place ? ` - ${place}` : ""}`,
  );
  const def = eventById(record.eventId);
  const rows: [string, string][] = [
    ["Site", ctx.site.location ? `${ctx.site.name} (${ctx.site.location})` : ctx.site.name],
  ];
  if (record.stringId !== undefined) rows.push(["String", stringLabel(record.stringId, ctx)]);
  if (record.block !== undefined) rows.push(["Block", String(record.block)]);
  if (record.value !== undefined) rows.push(["Value", formatNumber(record.value)]);
  if (record.threshold !== undefined) rows.push(["Threshold", formatNumber(record.threshold)]);
  rows.push(["Severity", record.severity]);
  rows.push([
    "Event",
    `${record.eventId} ${record.name}${TRANSITION[record.kind] ? ` (${TRANSITION[record.kind]})` : ""}`,
  ]);
  rows.push(["Time", formatTime(record.time)]);
  if (record.user) rows.push(["User", record.user]);
  for (const [key, value] of Object.entries(record.detail ?? {})) rows.push([key, value]);
  const lines = [
    record.text,
    ...(def ? [def.description] : []),
    "",
    ...rows.map(([k, v]) => `${`${k}:`.padEnd(11)} ${v}`),
    "",
    ...(ctx.webUiUrl ? [`Web UI: ${ctx.webUiUrl}`, ""] : []),
    footer(ctx),
  ];
  return { subject, text: `${lines.join("\n")}\n` };
}

/** One mail for many events collected while the rate limit held mails back. */
export function digestMail(records: readonly EventRecord[], ctx: MailContext, heldBack: string): MailContent {
  const worst = SEVERITIES[Math.max(...records.map((r) => SEVERITIES.indexOf(r.severity)))] ?? "info";
  const subject = oneLine(`[${worst.toUpperCase()}] ${ctx.site.name}: ${records.length} events (digest)`);
  const lines = [
    `${records.length} events at ${ctx.site.name}${ctx.site.location ? ` (${ctx.site.location})` : ""} ${heldBack}:`,
    "",
    ...records.map((r) => {
      const place = where(r);
      const value =
        r.value !== undefined
          ? ` value ${formatNumber(r.value)}${r.threshold !== undefined ? ` threshold ${formatNumber(r.threshold)}` : ""}`
          : "";
      return `${formatTime(r.time)}  ${r.severity.padEnd(8)} ${headline(r)}${place ? ` - ${place}` : ""}${value}: ${oneLine(r.text)}`;
    }),
    "",
    ...(ctx.webUiUrl ? [`Web UI: ${ctx.webUiUrl}`, ""] : []),
    footer(ctx),
  ];
  return { subject, text: `${lines.join("\n")}\n` };
}

function footer(ctx: MailContext): string {
  return `-- \nSent by the battery-monitoring gateway of ${ctx.site.name}${ctx.site.contact ? `; contact ${ctx.site.contact}` : ""}.`;
}

/** ISO 8601 in UTC: unambiguous for people in other time zones. */
function formatTime(time: number): string {
  return `${new Date(time)
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d+Z$/, "")} UTC`;
}

function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, " ");
}
