import { readFileSync } from "node:fs";
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https";
import { isAbsolute, join } from "node:path";
import type { Adapter, AdapterContext } from "../../core/adapter.js";
import { listenerUrl, listenOn } from "../../core/listen.js";
import { loadOrCreateSelfSigned } from "./certificate.js";
import type { HttpConfig } from "./config-schema.js";
import { LiveHub } from "./live.js";
import { createHandlers } from "./routes.js";
import { buildServer } from "./server.js";
import { SessionStore } from "./sessions.js";
import { TokenStore } from "./tokens.js";
import { uiAssetDir } from "./ui/asset-dir.js";

const inStorage = (ctx: AdapterContext<HttpConfig>, file: string) =>
  isAbsolute(file) ? file : join(ctx.storagePath, file);

/** Server-side timeouts: slow clients (slowloris) cannot hold sockets forever. */
const HEADERS_TIMEOUT = 20_000;
const REQUEST_TIMEOUT = 60_000;
const KEEP_ALIVE_TIMEOUT = 10_000;

function tlsMaterial(ctx: AdapterContext<HttpConfig>): { cert: string; key: string } {
  const { tls } = ctx.config;
  if (tls.certFile && tls.keyFile) {
    try {
      return {
        cert: readFileSync(inStorage(ctx, tls.certFile), "utf8"),
        key: readFileSync(inStorage(ctx, tls.keyFile), "utf8"),
      };
    } catch (error) {
      throw new Error(
        `E_HTTP_TLS_FILES: cannot read protocols.http.tls certFile/keyFile (${(error as Error).message}); fix the paths or remove both to use a generated certificate`,
      );
    }
  }
  const generated = loadOrCreateSelfSigned(
    join(ctx.storagePath, "http", "self-signed.crt"),
    join(ctx.storagePath, "http", "self-signed.key"),
    tls.selfSignedNames,
  );
  if (generated.created)
    ctx.log.warn(
      { file: join(ctx.storagePath, "http", "self-signed.crt"), sha256: generated.fingerprint },
      "generated a self-signed HTTPS certificate; browsers will warn until you configure protocols.http.tls.certFile/keyFile",
    );
  return generated;
}

/**
 * Web dashboard and REST API over HTTPS (Fastify): session login through the auth chain, API tokens, roles on every
 * endpoint, CSRF protection, OpenAPI document, Server-Sent Events, Prometheus metrics, optional HTTP→HTTPS redirect.
 */
export const httpAdapter: Adapter<HttpConfig> = {
  name: "http",
  async start(ctx) {
    const { config } = ctx;
    const tlsOn = config.tls.enabled;
    if (!tlsOn)
      ctx.log.warn("E_HTTP_PLAIN: HTTPS is off; serve this only behind a TLS-terminating proxy on the same host");
    const server: HttpServer | HttpsServer = tlsOn
      ? createHttpsServer({ ...tlsMaterial(ctx), minVersion: "TLSv1.2" })
      : createHttpServer();
    server.headersTimeout = HEADERS_TIMEOUT;
    server.requestTimeout = REQUEST_TIMEOUT;
    server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT;
    server.on("tlsClientError", () => ctx.health.count("tls-errors"));

    // `__Host-` cookies must be Secure, Path=/ and carry no Domain: a sibling host or plain-HTTP page cannot set them.
    const cookieName = tlsOn ? "__Host-bmsgw-session" : "bmsgw-session";
    const cookie = (value: string | undefined) =>
      [
        `${cookieName}=${value ?? ""}`,
        "Path=/",
        "HttpOnly",
        "SameSite=Strict",
        ...(tlsOn ? ["Secure"] : []),
        ...(value === undefined ? ["Max-Age=0"] : []),
      ].join("; ");

    const sessions = new SessionStore(config.session);
    const tokens = new TokenStore(inStorage(ctx, config.tokensFile));
    const live = new LiveHub({
      model: ctx.model,
      changes: ctx.changes,
      health: ctx.health,
      interval: config.liveInterval,
      maxClients: config.maxLiveClients,
      defer: (cleanup) => ctx.defer(cleanup),
    });
    const handlers = createHandlers({ ctx, sessions, tokens, live, cookie });
    const app = await buildServer({
      ctx,
      sessions,
      tokens,
      handlers,
      server,
      cookieName,
      uiDir: config.uiAssetsDir ?? uiAssetDir(),
    });
    const port = await listenOn(server, config.host, config.port);
    ctx.health.listening(listenerUrl(tlsOn ? "https" : "http", config.host, port));
    ctx.defer(async () => {
      live.close();
      await app.close();
      // Fastify does not close a server it was handed; live streams would keep it (and the process) alive.
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    if (config.redirect.enabled && tlsOn) {
      const redirect = createHttpServer((request, response) => {
        ctx.health.count("redirects");
        const hostHeader = request.headers.host ?? config.host;
        // Only the host name is taken from the request; an odd Host header gets the configured address instead.
        const name = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(:\d+)?$/.exec(hostHeader)?.[1] ?? config.host;
        const path = (request.url ?? "/").startsWith("/") ? (request.url ?? "/") : "/";
        response.writeHead(308, {
          location: `https://${name}${port === 443 ? "" : `:${port}`}${path}`,
          "content-length": "0",
        });
        response.end();
      });
      redirect.headersTimeout = HEADERS_TIMEOUT;
      redirect.requestTimeout = REQUEST_TIMEOUT;
      const redirectPort = await listenOn(redirect, config.host, config.redirect.port);
      ctx.health.listening(listenerUrl("http", config.host, redirectPort));
      ctx.defer(
        () =>
          new Promise<void>((resolve) => {
            redirect.closeAllConnections();
            redirect.close(() => resolve());
          }),
      );
    }
  },
};
