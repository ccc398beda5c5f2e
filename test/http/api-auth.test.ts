import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { connect } from "node:tls";
import { run } from "../console/helpers.js";
import { TEST_ADMIN } from "../helpers/gateway.js";
import { type HttpGateway, login, PASSWORDS, startHttpGateway } from "./api-helpers.js";

describe("HTTPS server, login and sessions", () => {
  let h: HttpGateway;
  before(async () => {
    h = await startHttpGateway({ http: "redirect: { enabled: true, port: 0 }" });
  });
  after(async () => {
    await h?.close();
  });

  test("the generated certificate is a valid self-signed ECDSA certificate for localhost and 127.0.0.1", async () => {
    const cert = new X509Certificate(h.target.ca);
    assert.ok(cert.checkIP("127.0.0.1"));
    assert.ok(cert.checkHost("localhost"));
    assert.ok(cert.verify(cert.publicKey));
    assert.equal(cert.publicKey.asymmetricKeyType, "ec");
    const text = await run("openssl", ["x509", "-noout", "-text"], { input: h.target.ca });
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /CA:FALSE/);
    assert.match(text.stdout, /TLS Web Server Authentication/);
  });

  test("TLS 1.1 is refused and TLS 1.2 is accepted", async () => {
    const handshake = (version: "TLSv1.1" | "TLSv1.2") =>
      new Promise<string>((resolve) => {
        const socket = connect({
          host: "127.0.0.1",
          port: h.target.port,
          ca: h.target.ca,
          minVersion: version,
          maxVersion: version,
          // Lets the client offer TLS 1.1 at all, so a refusal is the server's doing.
          ciphers: "DEFAULT:@SECLEVEL=0",
        });
        socket.on("secureConnect", () => {
          resolve(socket.getProtocol() ?? "");
          socket.end();
        });
        socket.on("error", (error) => resolve(`error: ${error.message}`));
      });
    assert.equal(await handshake("TLSv1.2"), "TLSv1.2");
    assert.match(await handshake("TLSv1.1"), /^error/);
  });

  test("curl, trusting only the generated certificate, reaches the API over HTTPS", async () => {
    const caFile = `${h.gateway.storagePath}/http/self-signed.crt`;
    const result = await run("curl", ["-s", "--cacert", caFile, `https://127.0.0.1:${h.target.port}/api/openapi.json`]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(JSON.parse(result.stdout).openapi, "3.1.0");
  });

  test("the plain HTTP listener redirects to HTTPS with the same path", async () => {
    const address = h.gateway.listeners().find((l) => l.startsWith("http://"));
    assert.ok(address, "redirect listener announced");
    const port = Number(address.slice(address.lastIndexOf(":") + 1));
    const answer = await new Promise<{ status: number; location: string }>((resolve, reject) => {
      const req = httpRequest(
        { host: "127.0.0.1", port, path: "/api/plant?x=1", headers: { host: "localhost:1" } },
        (res) => {
          res.resume();
          resolve({ status: res.statusCode ?? 0, location: String(res.headers.location) });
        },
      );
      req.on("error", reject);
      req.end();
    });
    assert.equal(answer.status, 308);
    assert.equal(answer.location, `https://localhost:${h.target.port}/api/plant?x=1`);
  });

  test("a login with the right password sets a Secure, HttpOnly, SameSite=Strict __Host- session cookie", async () => {
    const session = await login(h.target, "viewer1", PASSWORDS.viewer);
    assert.match(session.setCookie, /^__Host-bmsgw-session=[A-Za-z0-9_-]{43}; /);
    for (const flag of ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"])
      assert.ok(session.setCookie.split("; ").includes(flag), `${flag} in ${session.setCookie}`);
    assert.doesNotMatch(session.setCookie, /Domain=/i);
    assert.deepEqual(session.body.roles, ["viewer"]);
    assert.equal(session.body.mustChangePassword, false);
    const me = await h.target.request("GET", "/api/session", { cookie: session.cookie });
    assert.equal(me.status, 200);
    assert.equal((me.json as { user: string }).user, "viewer1");
  });

  test("a wrong password is refused with 401, sets no cookie and is audited", async () => {
    const answer = await h.target.request("POST", "/api/login", {
      body: { username: "viewer1", password: "not-the-password" },
    });
    assert.equal(answer.status, 401);
    assert.equal((answer.json as { code: string }).code, "E_AUTH_INVALID");
    assert.equal(answer.headers["set-cookie"], undefined);
    await h.gateway.services.eventLog?.flush();
    const failures = h.gateway.services.eventLog?.query({ user: "viewer1" }) ?? [];
    assert.ok(failures.some((e) => e.name === "login-failure" && e.detail?.protocol === "http"));
  });

  test("requests without a session or with a forged cookie get 401", async () => {
    assert.equal((await h.target.request("GET", "/api/plant")).status, 401);
    const forged = await h.target.request("GET", "/api/plant", { cookie: `__Host-bmsgw-session=${"A".repeat(43)}` });
    assert.equal(forged.status, 401);
    assert.equal((forged.json as { code: string }).code, "E_HTTP_UNAUTHENTICATED");
  });

  test("a state-changing request without the CSRF token, or with another session's token, is refused", async () => {
    const operator = await login(h.target, "operator1", PASSWORDS.operator);
    const other = await login(h.target, "viewer1", PASSWORDS.viewer);
    const none = await h.target.request("POST", "/api/alarms/all/acknowledge", { cookie: operator.cookie });
    assert.equal(none.status, 403);
    assert.equal((none.json as { code: string }).code, "E_HTTP_CSRF");
    const wrong = await h.target.request("POST", "/api/alarms/all/acknowledge", {
      cookie: operator.cookie,
      csrf: other.csrf,
    });
    assert.equal(wrong.status, 403);
    const right = await h.target.request("POST", "/api/alarms/all/acknowledge", {
      cookie: operator.cookie,
      csrf: operator.csrf,
    });
    assert.equal(right.status, 200, right.text);
  });

  test("a form post (text/plain or urlencoded) is refused with 415 before anything runs", async () => {
    const admin = await login(h.target, "admin1", PASSWORDS.admin);
    for (const type of ["text/plain", "application/x-www-form-urlencoded"]) {
      const answer = await h.target.request("POST", "/api/users", {
        cookie: admin.cookie,
        csrf: admin.csrf,
        rawBody: '{"name":"mallory","password":"mallory-pass-1","roles":["admin"]}',
        headers: { "content-type": type },
      });
      assert.equal(answer.status, 415, type);
    }
    const users = await h.gateway.auth.users?.list(TEST_ADMIN);
    assert.ok(!users?.some((u) => u.name === "mallory"));
  });

  test("logout ends the session and clears the cookie", async () => {
    const session = await login(h.target, "viewer1", PASSWORDS.viewer);
    const out = await h.target.request("POST", "/api/logout", { cookie: session.cookie, csrf: session.csrf });
    assert.equal(out.status, 200);
    assert.match(String(out.headers["set-cookie"]), /Max-Age=0/);
    assert.equal((await h.target.request("GET", "/api/plant", { cookie: session.cookie })).status, 401);
  });

  test("every answer carries the security headers", async () => {
    const answer = await h.target.request("GET", "/api/openapi.json");
    assert.match(String(answer.headers["strict-transport-security"]), /max-age=\d+/);
    assert.match(String(answer.headers["content-security-policy"]), /default-src 'self'/);
    assert.match(String(answer.headers["content-security-policy"]), /frame-ancestors 'none'/);
    assert.equal(answer.headers["x-content-type-options"], "nosniff");
    assert.equal(answer.headers["x-frame-options"], "DENY");
    assert.equal(answer.headers["referrer-policy"], "no-referrer");
    assert.equal(answer.headers["cache-control"], "no-store");
  });

  test("a user who must change the password can do nothing else until they do", async () => {
    await h.gateway.auth.users?.add(TEST_ADMIN, "newbie", "first-password-1", ["operator"], {
      mustChangePassword: true,
    });
    const session = await login(h.target, "newbie", "first-password-1");
    assert.equal(session.body.mustChangePassword, true);
    const blocked = await h.target.request("GET", "/api/plant", { cookie: session.cookie });
    assert.equal(blocked.status, 403);
    assert.equal((blocked.json as { code: string }).code, "E_HTTP_PASSWORD_CHANGE_REQUIRED");
    const weak = await h.target.request("POST", "/api/password", {
      cookie: session.cookie,
      csrf: session.csrf,
      body: { currentPassword: "first-password-1", newPassword: "short" },
    });
    assert.equal(weak.status, 400);
    assert.equal((weak.json as { path: string }).path, "body.newPassword");
    const wrongCurrent = await h.target.request("POST", "/api/password", {
      cookie: session.cookie,
      csrf: session.csrf,
      body: { currentPassword: "guess-guess-1", newPassword: "second-password-2" },
    });
    assert.equal(wrongCurrent.status, 400);
    assert.equal((wrongCurrent.json as { path: string }).path, "body.currentPassword");
    const changed = await h.target.request("POST", "/api/password", {
      cookie: session.cookie,
      csrf: session.csrf,
      body: { currentPassword: "first-password-1", newPassword: "second-password-2" },
    });
    assert.equal(changed.status, 200, changed.text);
    assert.equal((await h.target.request("GET", "/api/plant", { cookie: session.cookie })).status, 200);
    await login(h.target, "newbie", "second-password-2");
  });
});

describe("session timeout", () => {
  let h: HttpGateway;
  before(async () => {
    h = await startHttpGateway({ http: "session: { idleTimeout: 1s, maxAge: 1h }" });
  });
  after(async () => {
    await h?.close();
  });

  test("a session unused for longer than idleTimeout is gone; one in use stays", async () => {
    const idle = await login(h.target, "viewer1", PASSWORDS.viewer);
    const busy = await login(h.target, "viewer1", PASSWORDS.viewer);
    // The busy session is used every 200 ms for 1.6 s; the idle one is left alone for longer than its 1 s timeout.
    for (let i = 0; i < 8; i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal((await h.target.request("GET", "/api/session", { cookie: busy.cookie })).status, 200);
    }
    const answer = await h.target.request("GET", "/api/session", { cookie: idle.cookie });
    assert.equal(answer.status, 401);
  });
});

describe("configured certificate", () => {
  let h: HttpGateway | undefined;
  let dir: string;
  after(async () => {
    await h?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("certFile/keyFile are served instead of a generated certificate", async () => {
    dir = mkdtempSync(join(tmpdir(), "bmsgw-http-cert-"));
    const made = await run("openssl", [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      join(dir, "web.key"),
      "-out",
      join(dir, "web.pem"),
      "-days",
      "2",
      "-subj",
      "/CN=configured",
      "-addext",
      "subjectAltName=IP:127.0.0.1",
    ]);
    assert.equal(made.code, 0, made.stderr);
    const configured = readFileSync(join(dir, "web.pem"), "utf8");
    const started = await startHttpGateway({
      http: `tls: { certFile: ${join(dir, "web.pem")}, keyFile: ${join(dir, "web.key")} }`,
      ca: configured,
    });
    h = started;
    const served = await new Promise<string>((resolve, reject) => {
      const socket = connect({ host: "127.0.0.1", port: started.target.port, ca: configured }, () => {
        resolve(socket.getPeerX509Certificate()?.fingerprint256 ?? "");
        socket.end();
      });
      socket.on("error", reject);
    });
    assert.equal(served, new X509Certificate(configured).fingerprint256);
    assert.equal(existsSync(join(started.gateway.storagePath, "http", "self-signed.crt")), false);
  });
});
