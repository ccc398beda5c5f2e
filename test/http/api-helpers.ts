import { readFileSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import { join } from "node:path";
import type { Role } from "../../src/core/adapter.js";
import { smallPlantYaml, startTestGateway, TEST_ADMIN, type TestGateway } from "../helpers/gateway.js";

export interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  /** The body parsed as JSON (undefined when it is not JSON). */
  readonly json: unknown;
}

export interface RequestOptions {
  readonly body?: unknown;
  /** Sent as is (garbage tests); overrides `body`. */
  readonly rawBody?: string | Buffer;
  readonly headers?: Record<string, string>;
  readonly cookie?: string;
  readonly csrf?: string;
  readonly token?: string;
}

/** The gateway's HTTPS endpoint, reached with Node's https client trusting only the gateway's self-signed certificate. */
export class HttpsTarget {
  constructor(
    readonly port: number,
    readonly ca: string,
  ) {}

  request(method: string, path: string, options: RequestOptions = {}): Promise<Answer> {
    const headers: Record<string, string> = { ...options.headers };
    let payload: string | Buffer | undefined = options.rawBody;
    if (payload === undefined && options.body !== undefined) {
      payload = JSON.stringify(options.body);
      headers["content-type"] ??= "application/json";
    }
    if (options.cookie) headers.cookie = options.cookie;
    if (options.csrf) headers["x-csrf-token"] = options.csrf;
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    return new Promise((resolve, reject) => {
      const req = httpsRequest(
        { host: "127.0.0.1", port: this.port, method, path, headers, ca: this.ca, agent: false },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            let json: unknown;
            try {
              json = JSON.parse(text);
            } catch {
              json = undefined;
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
          });
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      req.end(payload);
    });
  }
}

/** A logged-in browser-like client: the session cookie and CSRF token from POST /api/login. */
export interface Session {
  readonly cookie: string;
  readonly csrf: string;
  readonly setCookie: string;
  readonly body: Record<string, unknown>;
}

export async function login(target: HttpsTarget, username: string, password: string): Promise<Session> {
  const answer = await target.request("POST", "/api/login", { body: { username, password } });
  if (answer.status !== 200) throw new Error(`login ${username}: ${answer.status} ${answer.text}`);
  const setCookie = String(answer.headers["set-cookie"]?.[0] ?? "");
  const body = answer.json as Record<string, unknown>;
  return { cookie: setCookie.split(";")[0] ?? "", csrf: String(body.csrfToken), setCookie, body };
}

export const PASSWORDS = {
  admin: "admin-password-1",
  operator: "operator-password-1",
  viewer: "viewer-password-1",
} as const;

export interface HttpGateway {
  readonly gateway: TestGateway;
  readonly target: HttpsTarget;
  close(): Promise<void>;
}

/** A test gateway with the web server on 127.0.0.1 port 0 and local users admin1/operator1/viewer1. */
export async function startHttpGateway(
  options: { http?: string; extra?: string; strings?: number; blocks?: number; ca?: string } = {},
): Promise<HttpGateway> {
  const gateway = await startTestGateway(
    smallPlantYaml({
      strings: options.strings ?? 2,
      blocks: options.blocks ?? 8,
      extra: [
        `protocols: { http: { enabled: true, host: 127.0.0.1, port: 0${options.http ? `, ${options.http}` : ""} } }`,
        options.extra ?? "",
      ].join("\n"),
    }),
  );
  try {
    const users = gateway.auth.users;
    if (!users) throw new Error("local users are off");
    for (const role of ["admin", "operator", "viewer"] as Role[])
      await users.add(TEST_ADMIN, `${role}1`, PASSWORDS[role], [role], { mustChangePassword: false });
    const address = gateway.listeners().find((l) => l.startsWith("https://"));
    if (!address) throw new Error(`no https listener: ${gateway.listeners().join(", ")}`);
    const ca = options.ca ?? readFileSync(join(gateway.storagePath, "http", "self-signed.crt"), "utf8");
    const target = new HttpsTarget(Number(address.slice(address.lastIndexOf(":") + 1)), ca);
    return { gateway, target, close: () => gateway.close() };
  } catch (error) {
    await gateway.close();
    throw error;
  }
}
