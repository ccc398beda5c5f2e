import { z } from "zod";
import { duration, host, port } from "../../core/config/primitives.js";
import { type EventFilter, eventFilterSchema } from "../../core/event-filter.js";

/** Which events are mailed. */
export const mailFilterSchema = eventFilterSchema({
  minSeverity: "warning",
  kinds: ["alarm-raised", "alarm-cleared", "event"],
  verb: "mailed",
});

export type MailFilter = EventFilter;

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
