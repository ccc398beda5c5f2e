/**
 * The REST API as data: every endpoint with its method, path, required action and zod schemas for params, query,
 * body and response. The server validates requests with these schemas and the OpenAPI document is generated from
 * them, so the docs cannot drift from what the server accepts.
 */
import { z } from "zod";
import type { Action } from "../../core/adapter.js";
import { QUALITIES } from "../../core/model.js";
import { POINTS } from "../../core/points.js";

/** Who may call an endpoint: anybody, any logged-in principal (even one that must change its password), or an action. */
export type Access = "public" | "session" | Action;

export interface Endpoint {
  readonly method: "GET" | "POST" | "PUT" | "DELETE";
  /** Fastify route syntax: `/api/strings/:id`. */
  readonly path: string;
  readonly summary: string;
  readonly access: Access;
  readonly params?: z.ZodType;
  readonly query?: z.ZodType;
  readonly body?: z.ZodType;
  readonly response?: z.ZodType;
  /** Media type of a successful answer; default application/json. */
  readonly produces?: "application/json" | "text/csv" | "text/event-stream" | "text/plain";
  readonly tag: string;
}

// --- shared pieces ------------------------------------------------------------------------------------------------

const ROLE = z.enum(["viewer", "operator", "admin"]);
const SEVERITY = z.enum(["info", "warning", "critical"]);
const QUALITY = z.enum(QUALITIES);
const stringId = z.coerce.number().int().min(1).max(65535).meta({ description: "Configured string id." });
const blockNumber = z.coerce.number().int().min(1).max(100_000).meta({ description: "1-based block number." });
/** A time in a query: ms since the epoch or an ISO 8601 date. */
const timeParam = z
  .union([z.coerce.number().int().nonnegative(), z.iso.datetime({ offset: true })])
  .transform((v) => (typeof v === "number" ? v : Date.parse(v)))
  .meta({ description: "ms since the epoch, or ISO 8601 (2025-01-31T12:00:00Z)." });
/** A comma-separated list in a query string, e.g. `severity=warning,critical`. */
function csvList<T extends z.ZodType>(item: T) {
  return z.preprocess(
    (value) => (typeof value === "string" ? value.split(",").filter((part) => part !== "") : value),
    z.array(item).min(1).max(100),
  );
}
const nullableNumber = z.number().nullable();

export const errorSchema = z
  .object({
    error: z.string(),
    code: z.string().meta({ description: "Stable error id, e.g. E_HTTP_VALIDATION." }),
    path: z.string().optional().meta({ description: "Dotted path of the first invalid field." }),
    issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: "Error" });

const okSchema = z.object({ ok: z.literal(true), message: z.string() }).meta({ id: "CommandResult" });

const principalSchema = z
  .object({
    user: z.string(),
    roles: z.array(ROLE),
    source: z.string(),
    mustChangePassword: z.boolean(),
    csrfToken: z.string().optional().meta({ description: "Send it as X-CSRF-Token with POST, PUT and DELETE." }),
  })
  .meta({ id: "Session" });

const pointKeys = (scope: "system" | "string" | "block") =>
  POINTS.filter((p) => p.scope === scope).map((p) => p.id.slice(scope.length + 1));
const valuesOf = (scope: "system" | "string" | "block") =>
  z.object(
    Object.fromEntries(
      POINTS.filter((p) => p.scope === scope).map((p) => [
        p.id.slice(scope.length + 1),
        (p.type === "enum" ? z.string() : nullableNumber).meta({
          description: `${p.description}${p.unit ? ` (${p.unit})` : ""}`,
        }),
      ]),
    ),
  );

const stringSchema = z
  .object({
    id: z.number(),
    name: z.string(),
    bus: z.string(),
    chemistry: z.string(),
    nominalBlockVoltage: z.number(),
    blockCount: z.number(),
    capacityAh: z.number(),
    values: valuesOf("string"),
    quality: z.record(z.string(), QUALITY),
    alarms: z.number().meta({ description: "Active alarms of the string and its blocks." }),
  })
  .meta({ id: "String" });

const blockSchema = z
  .object({
    block: z.number(),
    ...valuesOf("block").shape,
    quality: QUALITY.meta({ description: "Worst quality of the block's measured values." }),
    alarm: SEVERITY.nullable().meta({ description: "Highest severity of the block's active alarms." }),
  })
  .meta({ id: "Block" });

const thresholdsSchema = z.record(z.string(), z.record(z.string(), z.number())).meta({
  description: "Alarm levels in force, e.g. voltage.highAlarm; for threshold lines in charts.",
});

const alarmSchema = z
  .object({
    id: z.number(),
    eventId: z.number(),
    name: z.string(),
    severity: SEVERITY,
    stringId: z.number().optional(),
    block: z.number().optional(),
    raisedAt: z.number(),
    value: z.number().optional(),
    threshold: z.number().optional(),
    text: z.string(),
    acknowledgedAt: z.number().optional(),
    acknowledgedBy: z.string().optional(),
    latched: z.boolean().optional(),
  })
  .meta({ id: "Alarm" });

const eventSchema = z
  .object({
    seq: z.number(),
    time: z.number(),
    kind: z.enum(["alarm-raised", "alarm-cleared", "alarm-acknowledged", "event", "audit"]),
    eventId: z.number(),
    name: z.string(),
    severity: SEVERITY,
    stringId: z.number().optional(),
    block: z.number().optional(),
    value: z.number().optional(),
    threshold: z.number().optional(),
    user: z.string().optional(),
    detail: z.record(z.string(), z.string()).optional(),
    text: z.string(),
  })
  .meta({ id: "Event" });

const seriesSchema = z
  .object({
    point: z.string(),
    stringId: z.number().optional(),
    block: z.number().optional(),
    resolution: z.enum(["raw", "minute", "hour"]),
    time: z.array(z.number()),
    min: z.array(nullableNumber),
    avg: z.array(nullableNumber),
    max: z.array(nullableNumber),
    count: z.array(z.number()),
  })
  .meta({ id: "HistorySeries" });

const historyQuery = (scope: "string" | "block") =>
  z.strictObject({
    point: z
      .enum(pointKeys(scope) as [string, ...string[]])
      .default(scope === "block" ? "voltage" : "voltage")
      .meta({ description: `Point without the "${scope}." prefix.` }),
    from: timeParam.optional().meta({ description: "Default: 24 h before `to`." }),
    to: timeParam.optional().meta({ description: "Default: now." }),
    resolution: z.enum(["auto", "raw", "minute", "hour"]).default("auto"),
  });

const healthSchema = z
  .object({
    state: z.enum(["starting", "ok", "degraded", "down", "stopped"]),
    components: z.array(
      z.object({
        component: z.string(),
        state: z.enum(["starting", "ok", "degraded", "down", "stopped"]),
        text: z.string(),
        listeners: z.array(z.string()),
        counters: z.record(z.string(), z.number()),
      }),
    ),
  })
  .meta({ id: "Health" });

const userSchema = z
  .object({ name: z.string(), roles: z.array(ROLE), mustChangePassword: z.boolean(), keys: z.array(z.string()) })
  .meta({ id: "User" });
const userName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/, "letters, digits, . _ @ - (max 64)");
const password = z.string().min(1).max(1024);

const tokenSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    role: ROLE,
    createdBy: z.string(),
    created: z.string(),
    expires: z.string().optional(),
  })
  .meta({ id: "ApiToken" });

export const eventsQuery = z.strictObject({
  from: timeParam.optional(),
  to: timeParam.optional(),
  severity: csvList(SEVERITY).optional().meta({ description: "Comma-separated, e.g. warning,critical." }),
  minSeverity: SEVERITY.optional(),
  stringId: stringId.optional(),
  block: blockNumber.optional(),
  eventId: csvList(z.coerce.number().int().min(0)).optional(),
  kind: csvList(z.enum(["alarm-raised", "alarm-cleared", "alarm-acknowledged", "event", "audit"])).optional(),
  user: z.string().max(256).optional(),
  afterSeq: z.coerce.number().int().min(0).optional(),
  order: z.enum(["asc", "desc"]).default("desc"),
  limit: z.coerce.number().int().min(1).max(100_000).default(1000),
});

const dischargeSummarySchema = z
  .object({
    id: z.number(),
    stringId: z.number(),
    start: z.number(),
    end: z.number().optional(),
    durationSeconds: z.number(),
    ampereHours: z.number(),
    wattHours: z.number(),
    peakCurrent: z.number(),
    socStart: nullableNumber,
    socEnd: nullableNumber,
    minStringVoltage: nullableNumber,
    minBlockVoltage: nullableNumber,
    weakestBlock: z.number(),
    reachedEndVoltage: z.boolean(),
    capacityAh: nullableNumber,
    detectedBy: z.enum(["current", "voltage"]),
  })
  .meta({ id: "Discharge" });

// --- the endpoints ------------------------------------------------------------------------------------------------

const idParams = z.strictObject({ id: stringId });
const blockParams = z.strictObject({ id: stringId, block: blockNumber });

export const ENDPOINTS = {
  login: {
    tag: "session",
    method: "POST",
    path: "/api/login",
    summary: "Log in through the auth chain; sets the session cookie and returns the CSRF token.",
    access: "public",
    body: z.strictObject({ username: z.string().min(1).max(256), password }),
    response: principalSchema,
  },
  logout: {
    tag: "session",
    method: "POST",
    path: "/api/logout",
    summary: "Ends the session.",
    access: "session",
    response: okSchema,
  },
  session: {
    tag: "session",
    method: "GET",
    path: "/api/session",
    summary: "Who is logged in (roles, must-change-password) and the CSRF token.",
    access: "session",
    response: principalSchema,
  },
  changePassword: {
    tag: "session",
    method: "POST",
    path: "/api/password",
    summary: "Changes the logged-in local user's password (required first when mustChangePassword is set).",
    access: "session",
    body: z.strictObject({ currentPassword: password, newPassword: password }),
    response: okSchema,
  },
  openapi: {
    tag: "meta",
    method: "GET",
    path: "/api/openapi.json",
    summary: "This API as an OpenAPI 3.1 document.",
    access: "public",
  },
  health: {
    tag: "meta",
    method: "GET",
    path: "/api/health",
    summary: "Each component's health (starting / ok / degraded / down / stopped), listeners and counters.",
    access: "read",
    response: healthSchema,
  },
  metrics: {
    tag: "meta",
    method: "GET",
    path: "/metrics",
    summary: "Prometheus text exposition: points, alarm counts, poll statistics, per-protocol counters.",
    access: "read",
    produces: "text/plain",
  },
  plant: {
    tag: "plant",
    method: "GET",
    path: "/api/plant",
    summary: "Plant overview: site, system values, every string with its values, alarm summary.",
    access: "read",
    response: z
      .object({
        version: z.number(),
        time: z.number(),
        site: z.object({ name: z.string(), location: z.string(), contact: z.string() }).loose(),
        values: valuesOf("system"),
        strings: z.array(stringSchema),
        blockCount: z.number(),
        alarmSummary: z.object({
          critical: z.number(),
          warning: z.number(),
          info: z.number(),
          unacknowledged: z.number(),
          byString: z.record(z.string(), z.number()),
        }),
        devices: z.object({ total: z.number(), ok: z.number(), commLost: z.number(), unknown: z.number() }),
      })
      .meta({ id: "Plant" }),
  },
  strings: {
    tag: "plant",
    method: "GET",
    path: "/api/strings",
    summary: "Every string with its values.",
    access: "read",
    response: z.array(stringSchema),
  },
  string: {
    tag: "plant",
    method: "GET",
    path: "/api/strings/:id",
    summary: "One string with its values, analysis state and thresholds.",
    access: "read",
    params: idParams,
    response: stringSchema.extend({ thresholds: thresholdsSchema, analysis: z.unknown().optional() }),
  },
  blocks: {
    tag: "plant",
    method: "GET",
    path: "/api/strings/:id/blocks",
    summary: "A page of a string's blocks (offset/limit; 10,000 blocks page fine).",
    access: "read",
    params: idParams,
    query: z.strictObject({
      offset: z.coerce.number().int().min(0).default(0),
      limit: z.coerce.number().int().min(1).max(10_000).default(1000),
    }),
    response: z
      .object({
        stringId: z.number(),
        version: z.number(),
        total: z.number(),
        offset: z.number(),
        limit: z.number(),
        thresholds: thresholdsSchema,
        blocks: z.array(blockSchema),
      })
      .meta({ id: "BlockPage" }),
  },
  block: {
    tag: "plant",
    method: "GET",
    path: "/api/strings/:id/blocks/:block",
    summary: "One block: values with quality and time, active alarms, health analysis.",
    access: "read",
    params: blockParams,
    response: z.object({
      stringId: z.number(),
      block: z.number(),
      values: valuesOf("block"),
      samples: z.record(z.string(), z.object({ value: nullableNumber, quality: QUALITY, time: z.number() })),
      alarms: z.array(alarmSchema),
      health: z.unknown().optional(),
    }),
  },
  stringHistory: {
    tag: "history",
    method: "GET",
    path: "/api/strings/:id/history",
    summary: "History of a string point (raw, per-minute or per-hour buckets).",
    access: "read",
    params: idParams,
    query: historyQuery("string"),
    response: seriesSchema,
  },
  blockHistory: {
    tag: "history",
    method: "GET",
    path: "/api/strings/:id/blocks/:block/history",
    summary: "History of a block point (raw, per-minute or per-hour buckets).",
    access: "read",
    params: blockParams,
    query: historyQuery("block"),
    response: seriesSchema,
  },
  alarms: {
    tag: "alarms",
    method: "GET",
    path: "/api/alarms",
    summary: "Active alarms, optionally filtered.",
    access: "read",
    query: z.strictObject({
      severity: csvList(SEVERITY).optional(),
      stringId: stringId.optional(),
      block: blockNumber.optional(),
      unacknowledged: z.enum(["true", "false"]).optional(),
    }),
    response: z.array(alarmSchema),
  },
  acknowledge: {
    tag: "alarms",
    method: "POST",
    path: "/api/alarms/:id/acknowledge",
    summary: "Acknowledges one alarm by id, or every alarm with `all`.",
    access: "alarm.acknowledge",
    params: z.strictObject({ id: z.union([z.literal("all"), z.coerce.number().int().min(1)]) }),
    response: okSchema,
  },
  events: {
    tag: "events",
    method: "GET",
    path: "/api/events",
    summary: "Event log (alarm transitions, device events; audit records for admins), filtered.",
    access: "read",
    query: eventsQuery,
    response: z.object({ total: z.number(), events: z.array(eventSchema) }),
  },
  eventsCsv: {
    tag: "events",
    method: "GET",
    path: "/api/events.csv",
    summary: "The filtered event log as CSV (RFC 4180, ISO 8601 UTC times), oldest first.",
    access: "read",
    query: eventsQuery,
    produces: "text/csv",
  },
  discharges: {
    tag: "analysis",
    method: "GET",
    path: "/api/discharges",
    summary: "Discharge records, newest first (empty when the analysis service is off).",
    access: "read",
    query: z.strictObject({
      stringId: stringId.optional(),
      from: timeParam.optional(),
      to: timeParam.optional(),
      limit: z.coerce.number().int().min(1).max(10_000).default(100),
    }),
    response: z.array(dischargeSummarySchema),
  },
  discharge: {
    tag: "analysis",
    method: "GET",
    path: "/api/discharges/:id",
    summary: "One discharge record with its curve.",
    access: "read",
    params: z.strictObject({ id: z.coerce.number().int().min(1) }),
    response: dischargeSummarySchema.extend({ curve: z.array(z.record(z.string(), nullableNumber)) }),
  },
  ranking: {
    tag: "analysis",
    method: "GET",
    path: "/api/analysis/ranking",
    summary: "Blocks ranked weakest first with the reasons (empty when the analysis service is off).",
    access: "read",
    query: z.strictObject({
      stringId: stringId.optional(),
      all: z.enum(["true", "false"]).optional(),
      limit: z.coerce.number().int().min(1).max(100_000).default(100),
    }),
  },
  buses: {
    tag: "plant",
    method: "GET",
    path: "/api/buses",
    summary: "Each RS485 bus with its devices: address, profile, role, communication state, serial, counters.",
    access: "read",
  },
  settings: {
    tag: "settings",
    method: "GET",
    path: "/api/settings",
    summary: "The settings catalogue with the values in force.",
    access: "read",
  },
  setSetting: {
    tag: "settings",
    method: "PUT",
    path: "/api/settings/:name",
    summary: "Changes one catalogue setting (by name, e.g. blockVoltageHighAlarm).",
    access: "config.write",
    params: z.strictObject({ name: z.string().min(1).max(200) }),
    body: z.strictObject({ value: z.number().nullable().meta({ description: "null = back to the default." }) }),
    response: okSchema,
  },
  config: {
    tag: "settings",
    method: "GET",
    path: "/api/config",
    summary: "The running configuration, secrets replaced by ********.",
    access: "config.write",
  },
  setConfig: {
    tag: "settings",
    method: "PUT",
    path: "/api/config",
    summary: "Changes one configuration value by dotted path; validated with the config-file schema.",
    access: "config.write",
    body: z.strictObject({
      path: z
        .string()
        .min(1)
        .max(500)
        .regex(/^[A-Za-z0-9_"/.-]+$/),
      value: z.unknown().optional().meta({ description: "The new value; null or absent removes the key (default)." }),
    }),
    response: okSchema,
  },
  users: {
    tag: "users",
    method: "GET",
    path: "/api/users",
    summary: "Local users (never password hashes).",
    access: "users.manage",
    response: z.array(userSchema),
  },
  addUser: {
    tag: "users",
    method: "POST",
    path: "/api/users",
    summary: "Adds a local user.",
    access: "users.manage",
    body: z.strictObject({
      name: userName,
      password,
      roles: z.array(ROLE).min(1),
      mustChangePassword: z.boolean().default(true),
    }),
    response: userSchema,
  },
  updateUser: {
    tag: "users",
    method: "PUT",
    path: "/api/users/:name",
    summary: "Changes a local user's roles and/or password.",
    access: "users.manage",
    params: z.strictObject({ name: userName }),
    body: z.strictObject({
      roles: z.array(ROLE).min(1).optional(),
      password: password.optional(),
      mustChangePassword: z.boolean().optional(),
    }),
    response: userSchema,
  },
  deleteUser: {
    tag: "users",
    method: "DELETE",
    path: "/api/users/:name",
    summary: "Deletes a local user and ends their sessions.",
    access: "users.manage",
    params: z.strictObject({ name: userName }),
    response: okSchema,
  },
  tokens: {
    tag: "tokens",
    method: "GET",
    path: "/api/tokens",
    summary: "API tokens (never their secrets).",
    access: "users.manage",
    response: z.array(tokenSchema),
  },
  createToken: {
    tag: "tokens",
    method: "POST",
    path: "/api/tokens",
    summary: "Creates an API token with one role; the secret is returned only in this answer.",
    access: "users.manage",
    body: z.strictObject({
      name: z
        .string()
        .min(1)
        .max(64)
        .regex(/^[A-Za-z0-9._-]+$/),
      role: ROLE,
      expiresInDays: z.number().int().min(1).max(3650).optional(),
    }),
    response: z.object({ token: z.string(), info: tokenSchema }),
  },
  deleteToken: {
    tag: "tokens",
    method: "DELETE",
    path: "/api/tokens/:tokenId",
    summary: "Revokes an API token.",
    access: "users.manage",
    params: z.strictObject({ tokenId: z.string().regex(/^[a-f0-9]{12}$/) }),
    response: okSchema,
  },
  live: {
    tag: "live",
    method: "GET",
    path: "/api/live",
    summary:
      "Server-Sent Events: `plant` (overview, throttled), `blocks` (changed block values), `alarms` (alarm list), `event` (each event as it happens).",
    access: "read",
    produces: "text/event-stream",
  },
} as const satisfies Record<string, Endpoint>;

export type EndpointName = keyof typeof ENDPOINTS;
