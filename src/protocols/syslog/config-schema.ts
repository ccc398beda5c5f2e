import { hostname as osHostname } from "node:os";
import { z } from "zod";
import { duration, host, port } from "../../core/config/primitives.js";
import { EVENT_KINDS, type EventFilter, eventFilterSchema } from "../../core/event-filter.js";

/** Syslog facilities by keyword (RFC 5424 §6.2.1); `local0`…`local7` are the usual choice for an appliance. */
export const FACILITIES = {
  kern: 0,
  user: 1,
  mail: 2,
  daemon: 3,
  auth: 4,
  syslog: 5,
  lpr: 6,
  news: 7,
  uucp: 8,
  cron: 9,
  authpriv: 10,
  ftp: 11,
  ntp: 12,
  audit: 13,
  alert: 14,
  clock: 15,
  local0: 16,
  local1: 17,
  local2: 18,
  local3: 19,
  local4: 20,
  local5: 21,
  local6: 22,
  local7: 23,
} as const;
export type FacilityName = keyof typeof FACILITIES;

/** Which events a destination receives. */
export const notificationFilterSchema = eventFilterSchema({ minSeverity: "info", kinds: EVENT_KINDS, verb: "sent" });

export type NotificationFilter = EventFilter;

const tlsSchema = z
  .strictObject({
    caFile: z
      .string()
      .min(1)
      .optional()
      .meta({ description: "PEM file of the CA(s) that signed the server certificate; default: the system CAs." }),
    certFile: z.string().min(1).optional().meta({ description: "Client certificate (PEM) for mutual TLS." }),
    keyFile: z.string().min(1).optional().meta({ description: "Private key (PEM) of the client certificate." }),
    serverName: z
      .string()
      .min(1)
      .optional()
      .meta({ description: "Name the server certificate must carry; default: host." }),
  })
  .superRefine((tls, ctx) => {
    if (Boolean(tls.certFile) !== Boolean(tls.keyFile))
      ctx.addIssue({
        code: "custom",
        path: [tls.certFile ? "keyFile" : "certFile"],
        message: "certFile and keyFile go together",
      });
  });

export const syslogDestinationSchema = z
  .strictObject({
    name: z
      .string()
      .regex(/^[A-Za-z0-9_.-]+$/, "use letters, digits, ., - and _")
      .optional()
      .meta({ description: "Name used by logs, health and `bmsgw notify test NAME`; default transport-host-port." }),
    enabled: z.boolean().default(true),
    transport: z
      .enum(["udp", "tcp", "tls"])
      .default("udp")
      .meta({ description: "udp (RFC 5426), tcp (RFC 6587 octet counting) or tls (RFC 5425)." }),
    host: host,
    port: port.optional().meta({ description: "Default 514 for udp/tcp, 6514 for tls." }),
    format: z.enum(["rfc5424", "rfc3164"]).default("rfc5424"),
    facility: z
      .enum(Object.keys(FACILITIES) as [FacilityName, ...FacilityName[]])
      .default("local0")
      .meta({ description: "Syslog facility keyword (PRI = facility * 8 + severity)." }),
    appName: z
      .string()
      .regex(/^[!-~]{1,48}$/, "1-48 printable ASCII characters, no space")
      .default("bmsgw"),
    hostname: z
      .string()
      .regex(/^[!-~]{1,255}$/, "1-255 printable ASCII characters, no space")
      .default(() => osHostname() || "bmsgw")
      .meta({ description: "HOSTNAME field; default: the machine's host name." }),
    tls: tlsSchema.default(() => tlsSchema.parse({})),
    queueSize: z
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .default(10_000)
      .meta({ description: "Messages kept while a tcp/tls server is unreachable; beyond it the oldest are dropped." }),
    reconnect: z
      .strictObject({
        initialDelay: duration.default(500),
        maxDelay: duration.default(30_000),
      })
      .default({ initialDelay: 500, maxDelay: 30_000 })
      .meta({ description: "Back-off between reconnect attempts: doubles from initialDelay up to maxDelay." }),
    resendWindow: duration.default(2000).meta({
      description:
        "tcp/tls: messages written within this time before a connection broke are sent again after reconnecting (at-least-once).",
    }),
    filter: notificationFilterSchema.default(() => notificationFilterSchema.parse({})),
  })
  .transform((d) => {
    const resolvedPort = d.port ?? (d.transport === "tls" ? 6514 : 514);
    return { ...d, port: resolvedPort, name: d.name ?? `${d.transport}-${d.host}-${resolvedPort}` };
  });

export type SyslogDestination = z.output<typeof syslogDestinationSchema>;

/** Syslog destinations, each with its own transport, format and filter. Empty: syslog forwarding is off. */
export const syslogConfigSchema = z
  .array(syslogDestinationSchema)
  .default([])
  .superRefine((list, ctx) => {
    const seen = new Set<string>();
    list.forEach((d, i) => {
      if (seen.has(d.name))
        ctx.addIssue({ code: "custom", path: [i, "name"], message: `duplicate destination name ${d.name}` });
      seen.add(d.name);
      if (d.transport !== "tls" && (d.tls.caFile || d.tls.certFile))
        ctx.addIssue({ code: "custom", path: [i, "tls"], message: "tls settings need transport: tls" });
    });
  })
  .meta({ description: "Syslog destinations (rsyslog, syslog-ng, Graylog, SIEM)." });

export type SyslogConfig = z.output<typeof syslogConfigSchema>;

/** The section the syslog adapter receives. */
export interface SyslogSection {
  readonly enabled: boolean;
  readonly destinations: readonly SyslogDestination[];
}
