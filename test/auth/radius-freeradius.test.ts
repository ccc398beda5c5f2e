import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { pino } from "pino";
import { authConfigSchema } from "../../src/auth/config-schema.js";
import { type AuditRecord, createAuthService } from "../../src/auth/index.js";
import type { EventRecord } from "../../src/core/events.js";
import { smallPlantYaml, startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { freePort } from "../helpers/ports.js";
import { type Daemon, RADIUS_SECRET, startFreeRadius } from "./peers.js";

const silent = pino({ level: "silent" });
const ROLE_MAP = { "bms-operators": "operator", "bms-admins": "admin" } as const;

describe("RADIUS provider against FreeRADIUS on loopback", () => {
  let radius: Daemon & { port: number };
  let deadPort = 0;
  let gateway: TestGateway;
  const events: EventRecord[] = [];
  const storage = mkdtempSync(join(tmpdir(), "bmsgw-auth-radius-"));

  before(async () => {
    radius = await startFreeRadius();
    deadPort = await freePort();
    // The first server does not exist: every login has to fail over to FreeRADIUS.
    gateway = await startTestGateway(
      smallPlantYaml({
        strings: 1,
        blocks: 2,
        extra: `auth:
  providers: [radius, local]
  radius:
    servers:
      - { host: 127.0.0.1, port: ${deadPort}, secret: ${RADIUS_SECRET} }
      - { host: 127.0.0.1, port: ${radius.port}, secret: ${RADIUS_SECRET} }
    timeout: 1s
    retries: 0
    roleMap: { bms-operators: operator, bms-admins: admin }`,
      }),
    );
    gateway.bus.on("event", (e) => void events.push(e));
  });
  after(async () => {
    await gateway?.close();
    await radius?.stop();
    rmSync(storage, { recursive: true, force: true });
  });

  /** An auth service on its own, for configurations the gateway above does not have. */
  const service = (radiusSection: Record<string, unknown>, providers = ["radius", "local"]) => {
    const announced: string[] = [];
    const audits: AuditRecord[] = [];
    const auth = createAuthService({
      config: authConfigSchema.parse({
        providers,
        radius: { timeout: 400, retries: 0, roleMap: ROLE_MAP, ...radiusSection },
      }),
      storagePath: mkdtempSync(join(storage, "svc-")),
      log: silent,
      audit: (r) => void audits.push(r),
      announce: (text) => void announced.push(text),
    });
    return { auth, announced, audits };
  };

  it("accepts a RADIUS user after failing over from a dead server, with the role from Filter-Id", async () => {
    const result = await gateway.auth.authenticate("alice", "alice-radius-pw", "ssh", "127.0.0.9");
    assert.deepEqual(result, { ok: true, principal: { user: "alice", roles: ["operator"], source: "radius" } });
    const audit = events.find((e) => e.name === "login-success" && e.user === "alice");
    assert.ok(audit, "login-success audited");
    assert.equal(audit.kind, "audit");
    assert.equal(audit.detail?.provider, "radius");
    assert.equal(audit.detail?.protocol, "ssh");
    assert.equal(audit.detail?.remoteAddress, "127.0.0.9");
  });

  it("takes the role from the Class attribute when configured so", async () => {
    const { auth } = service({
      servers: [{ host: "127.0.0.1", port: radius.port, secret: RADIUS_SECRET }],
      roleAttribute: { type: "class" },
    });
    const result = await (await auth).authenticate("alice", "alice-radius-pw", "web", "127.0.0.1");
    assert.ok(result.ok);
    assert.deepEqual(result.principal.roles, ["admin"]);
  });

  it("refuses a wrong password and does not fall through to a local user of the same name", async () => {
    const users = gateway.auth.users;
    assert.ok(users);
    await users.add({ user: "root", roles: ["admin"], source: "test" }, "alice", "local-alice-pw", ["admin"]);
    const result = await gateway.auth.authenticate("alice", "local-alice-pw", "ssh", "127.0.0.9");
    assert.deepEqual(result, { ok: false, reason: "invalid-credentials" });
    const audit = events.findLast((e) => e.name === "login-failure" && e.user === "alice");
    assert.equal(audit?.detail?.provider, "radius");
    assert.match(audit?.detail?.why ?? "", /Access-reject/);
  });

  it("refuses an accepted user whose attributes map to no role", async () => {
    const result = await gateway.auth.authenticate("carol", "carol-radius-pw", "ssh", "127.0.0.9");
    assert.deepEqual(result, { ok: false, reason: "invalid-credentials" });
  });

  it("gets no answer with a wrong shared secret, because the server requires a valid Message-Authenticator", async () => {
    const { auth } = service({ servers: [{ host: "127.0.0.1", port: radius.port, secret: "not-the-right-secret" }] }, [
      "radius",
    ]);
    const result = await (await auth).authenticate("alice", "alice-radius-pw", "ssh", "127.0.0.1");
    assert.deepEqual(result, { ok: false, reason: "timeout" });
  });

  it("drops an Access-Accept that lacks a Message-Authenticator (unpatched server)", async () => {
    const { auth, audits } = service({ servers: [{ host: "127.0.0.1", port: radius.port, secret: RADIUS_SECRET }] }, [
      "radius",
    ]);
    const result = await (await auth).authenticate("legacy", "legacy-radius-pw", "ssh", "127.0.0.1");
    assert.deepEqual(result, { ok: false, reason: "timeout" });
    assert.equal(audits.at(-1)?.name, "login-failure");
  });

  it("falls back to the local admin when every RADIUS server is down", async () => {
    const { auth, announced, audits } = service({
      servers: [
        { host: "127.0.0.1", port: deadPort, secret: RADIUS_SECRET },
        { host: "127.0.0.1", port: deadPort, secret: RADIUS_SECRET },
      ],
    });
    const service_ = await auth;
    const password = /One-time password: (\S+)/.exec(announced.join(""))?.[1];
    assert.ok(password, "first-start admin password announced");
    const result = await service_.authenticate("admin", password, "telnet", "127.0.0.1");
    assert.deepEqual(result, {
      ok: true,
      principal: { user: "admin", roles: ["admin"], source: "local", mustChangePassword: true },
    });
    assert.equal(audits.at(-1)?.detail?.provider, "local");
  });

  it("reports the servers unreachable when nobody vouches for the user and RADIUS is down", async () => {
    const { auth } = service({ servers: [{ host: "127.0.0.1", port: deadPort, secret: RADIUS_SECRET }] });
    const result = await (await auth).authenticate("alice", "alice-radius-pw", "ssh", "127.0.0.1");
    assert.deepEqual(result, { ok: false, reason: "unreachable" });
  });
});
