import { z } from "zod";
import { EVENT_CATALOGUE, eventById } from "../../core/alarms/catalogue.js";
import { duration, host, port } from "../../core/config/primitives.js";
import { SEVERITIES } from "../../core/events.js";

const EVENT_KINDS = ["alarm-raised", "alarm-cleared", "alarm-acknowledged", "event", "audit"] as const;

/** An event id (number) or catalogue name, checked against the event catalogue and normalized to the id. */
const eventRef = z.union([z.number().int(), z.string().min(1)]).transform((ref, ctx) => {
  const def =
    typeof ref === "number" ? eventById(ref) : EVENT_CATALOGUE.find((d) => d.name === ref || String(d.eventId) === ref);
  if (!def) {
    ctx.addIssue({ code: "custom", message: `unknown event ${ref}; use an id or name from the event catalogue` });
    return z.NEVER;
  }
  return def.eventId;
});

/** Which events are mailed. Every part that is set must match. */
export const mailFilterSchema = z
  .strictObject({
    minSeverity: z.enum(SEVERITIES).default("warning").meta({ description: "Lowest severity mailed." }),
    kinds: z
      .array(z.enum(EVENT_KINDS))
      .default(["alarm-raised", "alarm-cleared", "event"])
      .meta({ description: "Record kinds mailed: alarm-raised, alarm-cleared, alarm-acknowledged, event, audit." }),
    events: z.array(eventRef).default([]).meta({ description: "Only these event ids or names; empty = all." }),
    excludeEvents: z.array(eventRef).default([]).meta({ description: "Never these event ids or names." }),
    strings: z
      .array(z.number().int().min(1))
      .default([])
      .meta({ description: "Only events about these string ids (events without a string still pass); empty = all." }),
  })
  .meta({ description: "Filter on severity, record kind, event id and string." });

export type MailFilter = z.output<typeof mailFilterSchema>;

const address = z.email().meta({ description: "An e-mail address." });

const recipientsSchema = z
  .strictObject({
    info: z.array(address).default([]),
    warning: z.array(address).default([]),
    critical: z.array(address).default([]),
  })
  .meta({ description: "Who gets the events of each severity (list an address under every severity it wants)." });

const authSchema = z
  .strictObject({
    user: z.string().min(1),
    pass: z.string().min(1).optional().meta({ description: "Password; prefer passFile to keep it out of the config." }),
    passFile: z.string().min(1).optional().meta({ description: "File holding the password (first line)." }),
  })
  .superRefine((auth, ctx) => {
    if (Boolean(auth.pass) === Boolean(auth.passFile))
      ctx.addIssue({ code: "custom", path: ["pass"], message: "give exactly one of pass and passFile" });
  });

export const emailConfigSchema = z
  .strictObject({
    enabled: z.boolean().default(false),
    host: host.optional().meta({ description: "SMTP server (relay or submission)." }),
    port: port.optional().meta({ description: "Default 587 for starttls, 465 for tls, 25 for none." }),
    security: z.enum(["starttls", "tls", "none"]).default("starttls").meta({
      description:
        "starttls: plain connect, STARTTLS required; tls: implicit TLS (SMTPS); none: no encryption (trusted relays only, no auth).",
    }),
    tls: z
      .strictObject({
        caFile: z
          .string()
          .min(1)
          .optional()
          .meta({ description: "PEM file of the CA(s) of the server certificate; default: the system CAs." }),
        serverName: z
          .string()
          .min(1)
          .optional()
          .meta({ description: "Name the certificate must carry; default host." }),
      })
      .default({}),
    auth: authSchema.optional(),
    from: address.optional().meta({ description: "Sender address." }),
    recipients: recipientsSchema.default(() => recipientsSchema.parse({})),
    filter: mailFilterSchema.default(() => mailFilterSchema.parse({})),
    webUiUrl: z
      .url()
      .optional()
      .meta({ description: "Link to the web UI put into every mail, e.g. https://bms.example.com." }),
    rateLimit: z
      .strictObject({
        maxMessages: z.number().int().min(1).default(10),
        window: duration.default(3_600_000),
      })
      .default({ maxMessages: 10, window: 3_600_000 })
      .meta({
        description: "At most maxMessages single mails per window; beyond it events are collected into a digest.",
      }),
    digestWindow: duration
      .default(600_000)
      .meta({ description: "While rate-limited, collected events are sent as one digest per severity this often." }),
    retry: z
      .strictObject({
        attempts: z.number().int().min(0).max(20).default(5),
        initialDelay: duration.default(30_000),
        maxDelay: duration.default(900_000),
      })
      .default({ attempts: 5, initialDelay: 30_000, maxDelay: 900_000 })
      .meta({ description: "Retries after a temporary failure (SMTP 4xx, connection error), with doubling delay." }),
    timeout: duration.default(30_000).meta({ description: "Connection and greeting timeout." }),
  })
  .superRefine((c, ctx) => {
    if (!c.enabled) return;
    if (!c.host) ctx.addIssue({ code: "custom", path: ["host"], message: "e-mail needs the SMTP host" });
    if (!c.from) ctx.addIssue({ code: "custom", path: ["from"], message: "e-mail needs a from address" });
    if (c.recipients.info.length + c.recipients.warning.length + c.recipients.critical.length === 0)
      ctx.addIssue({ code: "custom", path: ["recipients"], message: "e-mail needs at least one recipient" });
    if (c.security === "none" && c.auth)
      ctx.addIssue({
        code: "custom",
        path: ["security"],
        message: "auth would send the password in clear; use starttls or tls",
      });
  })
  .meta({ description: "E-mail notification over SMTP." });

export type EmailConfig = z.output<typeof emailConfigSchema>;
