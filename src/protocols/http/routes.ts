/** The handler of every REST endpoint declared in api.ts. */

import type { z } from "zod";
import { UserAdminError } from "../../auth/local-users.js";
import type { AdapterContext, Principal } from "../../core/adapter.js";
import type { EventQuery } from "../../core/event-log/types.js";
import type { EventRecord } from "../../core/events.js";
import type { PlantSnapshot } from "../../core/model.js";
import type { PointId } from "../../core/points.js";
import { settingByName } from "../../core/settings.js";
import { stringById } from "../../core/topology.js";
import type { eventsQuery } from "./api.js";
import type { HttpConfig } from "./config-schema.js";
import type { LiveHub } from "./live.js";
import { blockJson, blockRows, numbersJson, plantJson, stringJson, thresholdsJson } from "./mapping.js";
import { renderMetrics } from "./metrics.js";
import { openApiDocument } from "./openapi.js";
import { commandError, type Handlers, HttpError } from "./server.js";
import type { Session, SessionStore } from "./sessions.js";
import type { TokenStore } from "./tokens.js";

export interface RouteDeps {
  readonly ctx: AdapterContext<HttpConfig>;
  readonly sessions: SessionStore;
  readonly tokens: TokenStore;
  readonly live: LiveHub;
  /** Sets or clears the session cookie on a reply. */
  readonly cookie: (value: string | undefined) => string;
}

const DAY = 86_400_000;

function sessionJson(principal: Principal, session?: Session) {
  return {
    user: principal.user,
    roles: [...principal.roles],
    source: principal.source,
    mustChangePassword: principal.mustChangePassword === true,
    ...(session ? { csrfToken: session.csrfToken } : {}),
  };
}

function userError(error: unknown, path?: string): never {
  if (!(error instanceof UserAdminError)) throw error;
  const status: Record<string, number> = {
    E_FORBIDDEN: 403,
    E_AUTH_NO_USER: 404,
    E_AUTH_USER_EXISTS: 409,
    E_AUTH_LAST_ADMIN: 409,
    E_AUTH_WEAK_PASSWORD: 400,
  };
  const code = error.code;
  throw new HttpError(status[code] ?? 400, code, error.message, code === "E_AUTH_WEAK_PASSWORD" ? path : undefined);
}

/** Audit records (logins with addresses, config changes) are for admins; everybody else sees plant events. */
function eventFilter(principal: Principal, ctx: AdapterContext<HttpConfig>): (e: EventRecord) => boolean {
  return ctx.auth.authorize(principal, "config.write") ? () => true : (e) => e.kind !== "audit";
}

function eventQuery(
  query: z.output<typeof eventsQuery>,
  principal: Principal,
  ctx: AdapterContext<HttpConfig>,
): EventQuery {
  const kinds = query.kind ?? ["alarm-raised", "alarm-cleared", "alarm-acknowledged", "event", "audit"];
  const allowed = ctx.auth.authorize(principal, "config.write") ? kinds : kinds.filter((k) => k !== "audit");
  if (allowed.length === 0) throw new HttpError(403, "E_FORBIDDEN", "audit records are for admins");
  return {
    ...(query.from !== undefined ? { from: query.from } : {}),
    ...(query.to !== undefined ? { to: query.to } : {}),
    ...(query.severity ? { severity: query.severity } : {}),
    ...(query.minSeverity ? { minSeverity: query.minSeverity } : {}),
    ...(query.stringId !== undefined ? { stringId: query.stringId } : {}),
    ...(query.block !== undefined ? { block: query.block } : {}),
    ...(query.eventId ? { eventId: query.eventId } : {}),
    ...(query.user !== undefined ? { user: query.user } : {}),
    ...(query.afterSeq !== undefined ? { afterSeq: query.afterSeq } : {}),
    kind: allowed,
    order: query.order,
    limit: query.limit,
  };
}

function mustString(ctx: AdapterContext<HttpConfig>, id: number) {
  const s = stringById(ctx.model.current().topology, id);
  if (!s) throw new HttpError(404, "E_HTTP_NO_STRING", `no string ${id}`);
  return s;
}

function mustBlock(ctx: AdapterContext<HttpConfig>, id: number, block: number) {
  const s = mustString(ctx, id);
  if (block > s.blockCount) throw new HttpError(404, "E_HTTP_NO_BLOCK", `string ${id} has ${s.blockCount} blocks`);
  return s;
}

function history(
  ctx: AdapterContext<HttpConfig>,
  point: string,
  stringId: number,
  block: number | undefined,
  range: { from?: number | undefined; to?: number | undefined; resolution: "auto" | "raw" | "minute" | "hour" },
) {
  const reader = ctx.services.history;
  if (!reader) throw new HttpError(404, "E_HTTP_NO_HISTORY", "history is not recorded on this gateway");
  const to = range.to ?? Date.now();
  const from = range.from ?? to - DAY;
  if (from >= to) throw new HttpError(400, "E_HTTP_VALIDATION", "query.from: must be before query.to", "query.from");
  const [series] = reader.query({
    point: point as PointId,
    stringId,
    ...(block !== undefined ? { block } : {}),
    from,
    to,
    resolution: range.resolution,
  });
  const data = series?.data;
  return {
    point,
    stringId,
    ...(block !== undefined ? { block } : {}),
    resolution: series?.resolution ?? (range.resolution === "auto" ? "raw" : range.resolution),
    time: data ? Array.from(data.time) : [],
    min: data ? numbersJson(data.min) : [],
    avg: data ? numbersJson(data.avg) : [],
    max: data ? numbersJson(data.max) : [],
    count: data ? Array.from(data.count) : [],
  };
}

const finite = (n: number) => (Number.isFinite(n) ? n : null);

/** Resolves when the current or a coming snapshot satisfies `predicate`, or after `timeoutMs` regardless. */
function snapshotWhere(
  ctx: AdapterContext<HttpConfig>,
  predicate: (snapshot: PlantSnapshot) => boolean,
  timeoutMs = 2000,
): Promise<void> {
  if (predicate(ctx.model.current())) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      dispose();
      resolve();
    };
    const timer = setTimeout(done, timeoutMs);
    const dispose = ctx.changes.on("snapshot", (snapshot) => {
      if (predicate(snapshot)) done();
    });
  });
}

export function createHandlers(deps: RouteDeps): Handlers {
  const { ctx, sessions, tokens, live } = deps;
  const settingsList = () => ctx.services.settings?.list();
  return {
    async login({ body, request, reply }) {
      const result = await ctx.auth.authenticate(body.username, body.password, "http", request.ip);
      if (!result.ok) {
        ctx.health.count("login-failures");
        if (result.reason === "locked")
          throw new HttpError(429, "E_AUTH_LOCKED", "too many failed logins; try again later");
        if (result.reason === "unreachable" || result.reason === "timeout")
          throw new HttpError(503, "E_AUTH_UNAVAILABLE", "the authentication server does not answer; try again");
        throw new HttpError(401, "E_AUTH_INVALID", "wrong user name or password");
      }
      ctx.health.count("logins");
      const { id, session } = sessions.create(result.principal, request.ip);
      reply.header("set-cookie", deps.cookie(id));
      return sessionJson(result.principal, session);
    },
    logout({ session, reply }) {
      if (session) sessions.delete(session);
      reply.header("set-cookie", deps.cookie(undefined));
      return { ok: true, message: "logged out" };
    },
    session({ principal, session }) {
      return sessionJson(principal, session);
    },
    async changePassword({ body, principal, session, request }) {
      const users = ctx.auth.users;
      if (!users || principal.source !== "local")
        throw new HttpError(409, "E_HTTP_NOT_LOCAL", "only local users change their password here");
      const check = await ctx.auth.authenticate(principal.user, body.currentPassword, "http", request.ip);
      if (!check.ok)
        throw new HttpError(400, "E_AUTH_INVALID", "body.currentPassword: wrong password", "body.currentPassword");
      try {
        await users.setPassword(principal, principal.user, body.newPassword, false);
      } catch (error) {
        userError(error, "body.newPassword");
      }
      if (session) {
        const { mustChangePassword: _cleared, ...rest } = session.principal;
        session.principal = rest;
      }
      sessions.endUser(principal.user, session);
      return { ok: true, message: "password changed" };
    },
    openapi() {
      return openApiDocument();
    },
    health() {
      const components = ctx.services.health?.() ?? [];
      // "stopped" is a component switched off on purpose; it does not make the gateway unhealthy.
      const rank = { ok: 0, stopped: 0, starting: 1, degraded: 2, down: 3 } as const;
      const state = components.reduce<keyof typeof rank>((w, c) => (rank[c.state] > rank[w] ? c.state : w), "ok");
      return { state, components };
    },
    metrics({ reply }) {
      reply.type("text/plain; version=0.0.4; charset=utf-8");
      return renderMetrics(ctx.model.current(), ctx.services.health?.() ?? []);
    },
    plant() {
      return plantJson(ctx.model.current());
    },
    strings() {
      const snapshot = ctx.model.current();
      return snapshot.topology.strings.map((s) => stringJson(snapshot, s));
    },
    string({ params }) {
      const s = mustString(ctx, params.id);
      const analysis = ctx.services.analysis?.strings(s.id)[0];
      return {
        ...stringJson(ctx.model.current(), s),
        thresholds: thresholdsJson(settingsList()),
        ...(analysis ? { analysis: jsonSafe(analysis) } : {}),
      };
    },
    blocks({ params, query }) {
      const s = mustString(ctx, params.id);
      const snapshot = ctx.model.current();
      return {
        stringId: s.id,
        version: snapshot.version,
        total: s.blockCount,
        offset: query.offset,
        limit: query.limit,
        thresholds: thresholdsJson(settingsList()),
        blocks: blockRows(snapshot, s, query.offset, query.limit),
      };
    },
    block({ params }) {
      const s = mustBlock(ctx, params.id, params.block);
      const health = ctx.services.analysis?.block(s.id, params.block);
      return {
        ...blockJson(ctx.model.current(), s, params.block),
        ...(health ? { health: jsonSafe(health) } : {}),
      };
    },
    stringHistory({ params, query }) {
      mustString(ctx, params.id);
      return history(ctx, `string.${query.point}`, params.id, undefined, query);
    },
    blockHistory({ params, query }) {
      mustBlock(ctx, params.id, params.block);
      return history(ctx, `block.${query.point}`, params.id, params.block, query);
    },
    alarms({ query }) {
      return ctx.model
        .current()
        .alarms.filter(
          (a) =>
            (!query.severity || query.severity.includes(a.severity)) &&
            (query.stringId === undefined || a.stringId === query.stringId) &&
            (query.block === undefined || a.block === query.block) &&
            (query.unacknowledged === undefined ||
              (query.unacknowledged === "true") === (a.acknowledgedAt === undefined)),
        );
    },
    async acknowledge({ params, principal }) {
      const result = await ctx.commands.run(principal, { kind: "alarm-ack", alarmId: params.id });
      if (!result.ok) throw commandError(result);
      // The acknowledgement lands in the next commit; wait for it so a GET right after sees it (read your writes).
      await snapshotWhere(ctx, (s) =>
        s.alarms.every((a) => (params.id !== "all" && a.id !== params.id) || a.acknowledgedAt !== undefined),
      );
      return { ok: true, message: result.message };
    },
    events({ query, principal }) {
      const log = ctx.services.eventLog;
      if (!log) return { total: 0, events: [] };
      const q = eventQuery(query, principal, ctx);
      const { limit: _limit, afterSeq: _after, order: _order, ...countQuery } = q;
      return { total: log.count(countQuery), events: log.query(q) };
    },
    eventsCsv({ query, principal, reply }) {
      const log = ctx.services.eventLog;
      if (!log) throw new HttpError(404, "E_HTTP_NO_EVENT_LOG", "the event log is not kept on this gateway");
      reply.type("text/csv; charset=utf-8");
      reply.header("content-disposition", 'attachment; filename="events.csv"');
      return log.exportCsv(eventQuery(query, principal, ctx));
    },
    discharges({ query }) {
      const analysis = ctx.services.analysis;
      if (!analysis) return [];
      return analysis
        .discharges({
          ...(query.stringId !== undefined ? { stringId: query.stringId } : {}),
          ...(query.from !== undefined ? { from: query.from } : {}),
          ...(query.to !== undefined ? { to: query.to } : {}),
          limit: query.limit,
        })
        .map(jsonSafe);
    },
    discharge({ params }) {
      const record = ctx.services.analysis?.discharge(params.id);
      if (!record) throw new HttpError(404, "E_HTTP_NO_DISCHARGE", `no discharge record ${params.id}`);
      return jsonSafe(record);
    },
    ranking({ query }) {
      const analysis = ctx.services.analysis;
      if (!analysis) return [];
      return analysis
        .ranking({
          ...(query.stringId !== undefined ? { stringId: query.stringId } : {}),
          all: query.all === "true",
          limit: query.limit,
        })
        .map(jsonSafe);
    },
    buses() {
      const snapshot = ctx.model.current();
      const { topology } = snapshot;
      return topology.buses.map((bus) => ({
        id: bus,
        devices: topology.devices
          .filter((d) => d.bus === bus)
          .map((d) => {
            const state = snapshot.devices[d.index];
            const role = d.role;
            return {
              index: d.index,
              address: d.address,
              profile: d.profile.id,
              role: role.kind,
              ...(role.kind !== "environment" ? { stringId: topology.strings[role.stringIndex]?.id } : {}),
              ...(role.kind === "blocks" ? { firstBlock: role.firstBlock, blockCount: role.blockCount } : {}),
              comm: state?.comm ?? "unknown",
              ...(state?.serial ? { serial: state.serial } : {}),
              ...(state?.firmware ? { firmware: state.firmware } : {}),
              ...(d.expectedSerial ? { expectedSerial: d.expectedSerial } : {}),
              lastOk: state?.lastOk ?? 0,
              transactions: state?.transactions ?? 0,
              failures: state?.failures ?? 0,
              consecutiveFailures: state?.consecutiveFailures ?? 0,
              ...(state?.note ? { note: state.note } : {}),
            };
          }),
      }));
    },
    settings() {
      const view = ctx.services.settings;
      return {
        settings: (view?.list() ?? []).map((s) => ({ ...s, path: s.path.join("."), value: finite(s.value) })),
        persistent: view?.file !== undefined,
      };
    },
    async setSetting({ params, body, principal }) {
      const setting = settingByName(params.name);
      if (!setting) throw new HttpError(404, "E_HTTP_NO_SETTING", `no setting ${params.name}`, "params.name");
      const result = await ctx.commands.run(principal, {
        kind: "config-set",
        path: setting.path.join("."),
        value: body.value ?? undefined,
      });
      if (!result.ok) throw commandError(result, "body.value");
      return { ok: true, message: result.message, ...(result.data !== undefined ? { data: result.data } : {}) };
    },
    config() {
      const view = ctx.services.settings;
      if (!view) throw new HttpError(404, "E_HTTP_NO_SETTINGS", "settings are not available on this gateway");
      return view.current();
    },
    async setConfig({ body, principal }) {
      const result = await ctx.commands.run(principal, {
        kind: "config-set",
        path: body.path,
        value: body.value ?? undefined,
      });
      if (!result.ok) throw commandError(result, "body.value");
      return { ok: true, message: result.message, ...(result.data !== undefined ? { data: result.data } : {}) };
    },
    async users({ principal }) {
      const users = ctx.auth.users;
      if (!users) throw new HttpError(404, "E_HTTP_NO_LOCAL_USERS", "local users are not enabled (auth.providers)");
      try {
        return await users.list(principal);
      } catch (error) {
        userError(error);
      }
    },
    async addUser({ body, principal, reply }) {
      const users = ctx.auth.users;
      if (!users) throw new HttpError(404, "E_HTTP_NO_LOCAL_USERS", "local users are not enabled (auth.providers)");
      try {
        const info = await users.add(principal, body.name, body.password, body.roles, {
          mustChangePassword: body.mustChangePassword,
        });
        reply.code(201);
        return info;
      } catch (error) {
        userError(error, "body.password");
      }
    },
    async updateUser({ params, body, principal }) {
      const users = ctx.auth.users;
      if (!users) throw new HttpError(404, "E_HTTP_NO_LOCAL_USERS", "local users are not enabled (auth.providers)");
      if (!body.roles && body.password === undefined && body.mustChangePassword === undefined)
        throw new HttpError(400, "E_HTTP_VALIDATION", "body: give roles, password or mustChangePassword", "body");
      try {
        let info = body.roles ? await users.setRoles(principal, params.name, body.roles) : undefined;
        if (body.password !== undefined)
          info = await users.setPassword(principal, params.name, body.password, body.mustChangePassword ?? true);
        if (!info) info = (await users.list(principal)).find((u) => u.name === params.name);
        if (!info) throw new HttpError(404, "E_AUTH_NO_USER", `no local user ${params.name}`);
        // New roles or password: the user's open sessions carry the old ones, so end them.
        sessions.endUser(params.name);
        return info;
      } catch (error) {
        if (error instanceof HttpError) throw error;
        userError(error, "body.password");
      }
    },
    async deleteUser({ params, principal }) {
      const users = ctx.auth.users;
      if (!users) throw new HttpError(404, "E_HTTP_NO_LOCAL_USERS", "local users are not enabled (auth.providers)");
      try {
        await users.delete(principal, params.name);
      } catch (error) {
        userError(error);
      }
      sessions.endUser(params.name);
      return { ok: true, message: `deleted ${params.name}` };
    },
    tokens() {
      return tokens.list();
    },
    createToken({ body, principal, reply }) {
      const created = tokens.create(body.name, body.role, principal.user, body.expiresInDays);
      ctx.commands.audit({
        name: "config-changed",
        user: principal.user,
        text: `created API token ${body.name} (${body.role})`,
        detail: { area: "api-tokens", token: created.info.id },
      });
      reply.code(201);
      return created;
    },
    deleteToken({ params, principal }) {
      if (!tokens.delete(params.tokenId))
        throw new HttpError(404, "E_HTTP_NO_TOKEN", `no API token ${params.tokenId}`, "params.tokenId");
      ctx.commands.audit({
        name: "config-changed",
        user: principal.user,
        text: `revoked API token ${params.tokenId}`,
        detail: { area: "api-tokens", token: params.tokenId },
      });
      return { ok: true, message: `revoked ${params.tokenId}` };
    },
    live({ principal, request, reply }) {
      live.attach(request, reply, eventFilter(principal, ctx));
      return reply;
    },
  };
}

/** NaN and ±Infinity are not JSON; they become null (nested objects and arrays included). */
export function jsonSafe<T>(value: T): T {
  return JSON.parse(JSON.stringify(value, (_key, v) => (typeof v === "number" && !Number.isFinite(v) ? null : v)));
}
