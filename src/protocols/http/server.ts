/**
 * The HTTP pipeline on Fastify: security headers, who is calling (session cookie or API token), role check for
 * every endpoint, CSRF check for cookie sessions, zod validation of params/query/body (400 with the field path),
 * errors as `{ error, code, path? }`, static files of the web UI.
 */
import { createReadStream, existsSync, statSync } from "node:fs";
import type { Server as HttpServer } from "node:http";
import type { Server as HttpsServer } from "node:https";
import { extname, join, normalize, resolve, sep } from "node:path";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import type { z } from "zod";
import type { AdapterContext, CommandResult, Principal } from "../../core/adapter.js";
import { ENDPOINTS, type Endpoint, type EndpointName } from "./api.js";
import type { HttpConfig } from "./config-schema.js";
import { type Session, type SessionStore, sameSecret } from "./sessions.js";
import type { TokenStore } from "./tokens.js";

/** An error that becomes an HTTP answer `{ error, code, path? }`. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly path?: string,
  ) {
    super(message);
    this.name = "HttpError";
  }
}

type Input<E, K extends "params" | "query" | "body"> = E extends { readonly [P in K]: infer S extends z.ZodType }
  ? z.output<S>
  : undefined;

/** What a handler gets: validated input, the caller, and the raw request/reply for streams and cookies. */
export interface Call<E> {
  readonly params: Input<E, "params">;
  readonly query: Input<E, "query">;
  readonly body: Input<E, "body">;
  readonly principal: Principal;
  /** Present for cookie sessions; absent for API tokens and public endpoints. */
  readonly session?: Session;
  readonly request: FastifyRequest;
  readonly reply: FastifyReply;
}

export type Handlers = {
  readonly [K in EndpointName]: (call: Call<(typeof ENDPOINTS)[K]>) => unknown;
};

export interface ServerParts {
  readonly ctx: AdapterContext<HttpConfig>;
  readonly sessions: SessionStore;
  readonly tokens: TokenStore;
  readonly handlers: Handlers;
  /** The node server Fastify runs on (HTTPS, or HTTP when TLS is off). */
  readonly server: HttpServer | HttpsServer;
  readonly cookieName: string;
  readonly uiDir: string;
}

const ANONYMOUS: Principal = { user: "anonymous", roles: [], source: "http" };

const SECURITY_HEADERS: Record<string, string> = {
  "content-security-policy":
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
  "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
};

const STATIC_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
  ".woff2": "font/woff2",
};

/** The value of cookie `name` in a Cookie header. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** The first zod issue as a dotted path under its location (`body.roles.0`), plus every issue. */
function validationError(
  where: string,
  error: z.ZodError,
): HttpError & { issues: { path: string; message: string }[] } {
  const issues = error.issues.map((i) => ({
    path: [where, ...i.path.map(String)].join("."),
    message: i.message,
  }));
  const first = issues[0] ?? { path: where, message: "invalid" };
  const e = new HttpError(400, "E_HTTP_VALIDATION", `${first.path}: ${first.message}`, first.path);
  return Object.assign(e, { issues });
}

/** Maps a failed gateway command to an HTTP error. */
export function commandError(result: Extract<CommandResult, { ok: false }>, bodyPath?: string): HttpError {
  switch (result.code) {
    case "E_FORBIDDEN":
      return new HttpError(403, result.code, result.error);
    case "E_UNAVAILABLE":
      return new HttpError(503, result.code, result.error);
    case "E_ALARM_UNKNOWN":
      return new HttpError(404, result.code, result.error);
    case "E_CONFIG_INVALID":
    case "E_CONFIG_PATH": {
      const colon = result.error.indexOf(": ");
      const path = colon > 0 ? result.error.slice(0, colon) : bodyPath;
      return new HttpError(400, result.code, result.error, path);
    }
    default:
      return new HttpError(result.code.startsWith("E_CONFIG_FILE") ? 500 : 409, result.code, result.error);
  }
}

function sendError(reply: FastifyReply, error: HttpError, issues?: unknown): FastifyReply {
  return reply
    .code(error.status)
    .type("application/json")
    .send({
      error: error.message,
      code: error.code,
      ...(error.path ? { path: error.path } : {}),
      ...(issues ? { issues } : {}),
    });
}

export async function buildServer(parts: ServerParts): Promise<FastifyInstance> {
  const { ctx, sessions, tokens, handlers, cookieName } = parts;
  const tls = ctx.config.tls.enabled;
  const app = Fastify({
    serverFactory: (handler) => {
      parts.server.on("request", handler);
      return parts.server as HttpServer;
    },
    bodyLimit: ctx.config.maxBodyBytes,
    routerOptions: { maxParamLength: 256 },
    logger: false,
    trustProxy: false,
    return503OnClosing: true,
    forceCloseConnections: true,
  });
  // Only JSON bodies: forms and text/plain (what a cross-site page can send without a CORS preflight) get 415.
  app.removeContentTypeParser(["text/plain"]);

  app.addHook("onRequest", async (request, reply) => {
    ctx.health.count("requests");
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) reply.header(name, value);
    if (tls) reply.header("strict-transport-security", "max-age=31536000");
    if (request.url.startsWith("/api/") || request.url === "/metrics") reply.header("cache-control", "no-store");
  });

  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, _request, reply) => {
    if (error instanceof HttpError) return sendError(reply, error, (error as { issues?: unknown }).issues);
    const status = error.statusCode ?? 500;
    if (status >= 500) {
      ctx.health.count("errors");
      ctx.log.error({ err: error }, "E_HTTP_INTERNAL: request failed");
      return sendError(reply, new HttpError(500, "E_HTTP_INTERNAL", "internal error; see the gateway log"));
    }
    const code =
      error.code === "FST_ERR_CTP_INVALID_JSON_BODY" || error.code === "FST_ERR_CTP_EMPTY_JSON_BODY"
        ? "E_HTTP_BAD_JSON"
        : error.code === "FST_ERR_CTP_BODY_TOO_LARGE"
          ? "E_HTTP_BODY_TOO_LARGE"
          : error.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE"
            ? "E_HTTP_MEDIA_TYPE"
            : "E_HTTP_BAD_REQUEST";
    const message =
      code === "E_HTTP_BAD_JSON"
        ? `body: not valid JSON (${error.message})`
        : code === "E_HTTP_BODY_TOO_LARGE"
          ? `body: larger than ${ctx.config.maxBodyBytes} bytes`
          : code === "E_HTTP_MEDIA_TYPE"
            ? "body: send application/json"
            : error.message;
    return sendError(reply, new HttpError(status, code, message, code === "E_HTTP_BAD_REQUEST" ? undefined : "body"));
  });

  const identify = (request: FastifyRequest): { principal: Principal; session?: Session } | undefined => {
    const authorization = request.headers.authorization;
    if (authorization?.startsWith("Bearer ")) {
      const principal = tokens.verify(authorization.slice(7).trim());
      if (!principal) throw new HttpError(401, "E_HTTP_TOKEN", "API token unknown, revoked or expired");
      return { principal };
    }
    const id = readCookie(request.headers.cookie, cookieName);
    const session = id ? sessions.get(id) : undefined;
    return session ? { principal: session.principal, session } : undefined;
  };

  const parse = <S extends z.ZodType | undefined>(schema: S, value: unknown, where: string) => {
    if (!schema) return undefined;
    const result = schema.safeParse(value ?? (where === "query" || where === "params" ? {} : undefined));
    if (!result.success) throw validationError(where, result.error);
    return result.data;
  };

  for (const [name, endpoint] of Object.entries(ENDPOINTS) as [EndpointName, Endpoint][]) {
    const handler = handlers[name] as (call: Call<Endpoint>) => unknown;
    app.route({
      method: endpoint.method,
      url: endpoint.path,
      handler: async (request, reply) => {
        const who = endpoint.access === "public" ? undefined : identify(request);
        if (endpoint.access !== "public") {
          if (!who)
            throw new HttpError(401, "E_HTTP_UNAUTHENTICATED", "log in first (POST /api/login) or send an API token");
          if (who.principal.mustChangePassword && endpoint.access !== "session")
            throw new HttpError(
              403,
              "E_HTTP_PASSWORD_CHANGE_REQUIRED",
              "change your password first (POST /api/password)",
            );
          if (endpoint.access !== "session" && !ctx.auth.authorize(who.principal, endpoint.access))
            throw new HttpError(403, "E_FORBIDDEN", `${who.principal.user} may not do ${endpoint.access}`);
          if (endpoint.method !== "GET" && who.session) {
            const offered = request.headers["x-csrf-token"];
            if (typeof offered !== "string" || !sameSecret(offered, who.session.csrfToken))
              throw new HttpError(403, "E_HTTP_CSRF", "missing or wrong X-CSRF-Token header (see GET /api/session)");
          }
        }
        const call: Call<Endpoint> = {
          params: parse(endpoint.params, request.params, "params"),
          query: parse(endpoint.query, request.query, "query"),
          body: parse(endpoint.body, request.body, "body"),
          principal: who?.principal ?? ANONYMOUS,
          ...(who?.session ? { session: who.session } : {}),
          request,
          reply,
        } as Call<Endpoint>;
        const result = await handler(call);
        if (reply.sent) return reply;
        return result;
      },
    });
  }

  const uiRoot = resolve(parts.uiDir);
  app.setNotFoundHandler(async (request, reply) => {
    const path = request.url.split("?")[0] ?? "/";
    if (request.method !== "GET" && request.method !== "HEAD")
      throw new HttpError(404, "E_HTTP_NOT_FOUND", `no route ${request.method} ${path.slice(0, 200)}`);
    if (path.startsWith("/api/") || path === "/api" || path === "/metrics")
      throw new HttpError(404, "E_HTTP_NOT_FOUND", `no route GET ${path.slice(0, 200)}`);
    let relative: string;
    try {
      relative = decodeURIComponent(path);
    } catch {
      throw new HttpError(400, "E_HTTP_BAD_PATH", "path: malformed percent-encoding");
    }
    if (relative.includes("\0")) throw new HttpError(400, "E_HTTP_BAD_PATH", "path: contains NUL");
    let file = normalize(join(uiRoot, relative));
    if (file !== uiRoot && !file.startsWith(uiRoot + sep)) throw new HttpError(404, "E_HTTP_NOT_FOUND", "no such file");
    const isFile = (f: string) => existsSync(f) && statSync(f).isFile();
    if (!isFile(file)) {
      // Client-side routes (no file extension) get the single page; missing assets are a plain 404.
      if (extname(relative) !== "") throw new HttpError(404, "E_HTTP_NOT_FOUND", "no such file");
      file = join(uiRoot, "index.html");
      if (!isFile(file))
        throw new HttpError(
          404,
          "E_HTTP_UI_NOT_BUILT",
          "the web UI is not built; run `npm run build` (the REST API under /api works without it)",
        );
    }
    reply.header("cache-control", "no-cache");
    reply.type(STATIC_TYPES[extname(file)] ?? "application/octet-stream");
    return reply.send(createReadStream(file));
  });

  await app.ready();
  return app;
}
