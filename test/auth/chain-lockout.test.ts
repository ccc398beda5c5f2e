import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { after, describe, it } from "node:test";
import { pino } from "pino";
import { authConfigSchema } from "../../src/auth/config-schema.js";
import { type AuditRecord, createAuthService } from "../../src/auth/index.js";
import { LocalUserStore } from "../../src/auth/local-users.js";
import { userCommand } from "../../src/cli/commands/user.js";
import type { Principal } from "../../src/core/adapter.js";
import type { EventRecord } from "../../src/core/events.js";
import { smallPlantYaml, startTestGateway } from "../helpers/gateway.js";
import { freePort } from "../helpers/ports.js";

const silent = pino({ level: "silent" });
const ADMIN: Principal = { user: "root", roles: ["admin"], source: "test" };
const folders: string[] = [];
const folder = () => {
  const dir = mkdtempSync(join(tmpdir(), "bmsgw-auth-chain-"));
  folders.push(dir);
  return dir;
};
after(() => {
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
});

async function localService(lockout: Record<string, unknown> = {}) {
  let now = 1_000_000;
  const audits: AuditRecord[] = [];
  const auth = await createAuthService({
    config: authConfigSchema.parse({ providers: ["local"], lockout }),
    storagePath: folder(),
    log: silent,
    audit: (r) => void audits.push(r),
    announce: () => undefined,
    now: () => now,
  });
  const users = auth.users;
  assert.ok(users);
  await users.add(ADMIN, "olga", "olga-local-pw", ["operator"]);
  return {
    auth,
    users,
    audits,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe("lockout", () => {
  it("locks a user after repeated wrong passwords, even for the right one, and unlocks after the lock time", async () => {
    const { auth, advance } = await localService({ maxFailures: 3, lockFor: "1m" });
    for (let i = 0; i < 3; i++)
      assert.deepEqual(await auth.authenticate("olga", `guess-${i}-xxxxx`, "ssh", "127.0.0.2"), {
        ok: false,
        reason: "invalid-credentials",
      });
    assert.deepEqual(await auth.authenticate("olga", "olga-local-pw", "ssh", "127.0.0.2"), {
      ok: false,
      reason: "locked",
    });
    advance(61_000);
    const result = await auth.authenticate("olga", "olga-local-pw", "ssh", "127.0.0.2");
    assert.equal(result.ok, true);
  });

  it("doubles the lock time at the next lock (back-off)", async () => {
    const { auth, advance } = await localService({ maxFailures: 2, lockFor: "1m", maxLockFor: "1h" });
    const fail = () => auth.authenticate("olga", "wrong-password-1", "web", "127.0.0.3");
    await fail();
    await fail();
    advance(61_000);
    await fail();
    await fail();
    advance(61_000);
    assert.deepEqual(await auth.authenticate("olga", "olga-local-pw", "web", "127.0.0.3"), {
      ok: false,
      reason: "locked",
    });
    advance(60_000);
    assert.equal((await auth.authenticate("olga", "olga-local-pw", "web", "127.0.0.3")).ok, true);
  });

  it("locks an address that sprays many user names", async () => {
    const { auth } = await localService({ maxFailures: 100, maxFailuresPerAddress: 4 });
    for (let i = 0; i < 4; i++) await auth.authenticate(`nobody${i}`, "some-password-1", "telnet", "127.0.0.4");
    assert.deepEqual(await auth.authenticate("olga", "olga-local-pw", "telnet", "127.0.0.4"), {
      ok: false,
      reason: "locked",
    });
    // Another address is not affected.
    assert.equal((await auth.authenticate("olga", "olga-local-pw", "telnet", "127.0.0.5")).ok, true);
  });

  it("audits every attempt with user, protocol, remote address, provider and outcome", async () => {
    const { auth, audits } = await localService({ maxFailures: 2 });
    await auth.authenticate("olga", "olga-local-pw", "ssh", "127.0.0.6");
    await auth.authenticate("olga", "bad-password-1", "telnet", "127.0.0.6");
    await auth.authenticate("olga", "bad-password-2", "telnet", "127.0.0.6");
    await auth.authenticate("olga", "olga-local-pw", "web", "127.0.0.6");
    await auth.authenticate("ghost", "any-password-1", "web", "127.0.0.6");
    const logins = audits.filter((a) => a.name.startsWith("login-"));
    assert.deepEqual(
      logins.map((a) => [
        a.name,
        a.user,
        a.detail?.protocol,
        a.detail?.remoteAddress,
        a.detail?.provider,
        a.detail?.outcome,
      ]),
      [
        ["login-success", "olga", "ssh", "127.0.0.6", "local", "ok"],
        ["login-failure", "olga", "telnet", "127.0.0.6", "local", "invalid-credentials"],
        ["login-failure", "olga", "telnet", "127.0.0.6", "local", "invalid-credentials"],
        ["login-failure", "olga", "web", "127.0.0.6", "none", "locked"],
        ["login-failure", "ghost", "web", "127.0.0.6", "local", "invalid-credentials"],
      ],
    );
  });
});

describe("local users", () => {
  it("answers many password checks at once, each with its own verdict, while hashing one at a time", async () => {
    const store = new LocalUserStore(folder(), "users.json");
    await store.add("alice", "alice-password-1", ["operator"]);
    await store.add("bob", "bob-password-22", ["viewer"]);
    const attempts: [string, string, boolean | undefined][] = [
      ["alice", "alice-password-1", true],
      ["bob", "alice-password-1", false],
      ["nobody", "whatever-pass", undefined],
      ["bob", "bob-password-22", true],
      ["alice", "wrong-password", false],
      ["alice", "alice-password-1", true],
    ];
    const verdicts = await Promise.all(attempts.map(([user, password]) => store.verify(user, password)));
    assert.deepEqual(
      verdicts.map((v) => v?.ok),
      attempts.map(([, , ok]) => ok),
    );
  });

  it("accepts an SSH public key of the user and refuses others", async () => {
    const { auth, users } = await localService();
    const key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDRaOrURotykWAA0UuNJcpCqPpo2vvielHusBWLFrGuV olga@laptop";
    const other = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBtKzvTR0b0Kxj3d4Tw9yCCeEK0TsSB7sOcSLSMAGpvV";
    await users.setKeys({ user: "olga", roles: ["operator"], source: "local" }, "olga", [key]);
    assert.ok(auth.authenticateKey);
    const ok = await auth.authenticateKey("olga", key.replace(" olga@laptop", ""), "ssh", "127.0.0.1");
    assert.deepEqual(ok, { ok: true, principal: { user: "olga", roles: ["operator"], source: "local" } });
    assert.deepEqual(await auth.authenticateKey("olga", other, "ssh", "127.0.0.1"), {
      ok: false,
      reason: "invalid-credentials",
    });
  });

  it("lets only admins manage users, but every local user may change their own password", async () => {
    const { auth, users } = await localService();
    const olga: Principal = { user: "olga", roles: ["operator"], source: "local" };
    await assert.rejects(users.add(olga, "mallory", "mallory-pw-123", ["admin"]), { code: "E_FORBIDDEN" });
    await assert.rejects(users.setPassword(olga, "admin", "taken-over-123"), { code: "E_FORBIDDEN" });
    await users.setPassword(olga, "olga", "olga-new-password");
    assert.equal((await auth.authenticate("olga", "olga-new-password", "web", "127.0.0.1")).ok, true);
    await assert.rejects(users.setPassword(ADMIN, "olga", "short"), { code: "E_AUTH_WEAK_PASSWORD" });
    await assert.rejects(users.delete(ADMIN, "admin"), { code: "E_AUTH_LAST_ADMIN" });
  });

  it("manages users from the command line: bmsgw user add, list, passwd, del", async () => {
    const dir = folder();
    const config = join(dir, "gateway.yaml");
    writeFileSync(config, `storage: { path: ${join(dir, "var")} }\n`);
    // The stdin path runs in a real process; the rest in-process (a tsx start-up costs seconds on a busy machine).
    const add = spawnSync(
      process.execPath,
      [
        "--import",
        "tsx",
        "src/cli/main.ts",
        "user",
        "add",
        "pat",
        "--role",
        "operator",
        "--password-stdin",
        "--config",
        config,
      ],
      { input: "pat-cli-password\n", encoding: "utf8" },
    );
    assert.equal(add.status, 0, add.stderr);
    const bmsgw = async (args: string[]) => {
      const out: string[] = [];
      const write = process.stdout.write.bind(process.stdout);
      // Strings are the command's output; the test runner's own reports (buffers) pass through.
      process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
        if (typeof chunk === "string") {
          out.push(chunk);
          return true;
        }
        return write(chunk, ...rest);
      }) as typeof process.stdout.write;
      try {
        const status = await userCommand.run([...args, "--config", config]);
        return { status, stdout: out.join("") };
      } finally {
        process.stdout.write = write;
      }
    };
    const generated = await bmsgw(["add", "quinn"]);
    assert.equal(generated.status, 0);
    assert.match(generated.stdout, /one-time password \(shown once\): \S{20}/);
    const list = await bmsgw(["list"]);
    assert.match(list.stdout, /pat\s+operator/);
    assert.match(list.stdout, /quinn\s+viewer\s+must-change/);
    assert.equal((await bmsgw(["role", "pat", "admin"])).status, 0);
    assert.equal((await bmsgw(["del", "quinn"])).status, 0);
    assert.equal((await bmsgw(["del", "pat"])).status, 1, "the last admin cannot be deleted");
    const file = join(dir, "var", "users.json");
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const text = readFileSync(file, "utf8");
    assert.doesNotMatch(text, /pat-cli-password/);
    assert.match(text, /\$argon2id\$/);
    assert.doesNotMatch(text, /quinn/);
  });
});

describe("auth in the running gateway", () => {
  it("creates admin on first start with a one-time password, audits logins, and never logs a password or secret", async () => {
    const lines: string[] = [];
    const log = pino(
      { level: "trace", redact: { paths: ["password", "*.password", "secret", "*.secret"], censor: "[redacted]" } },
      new Writable({
        write(chunk, _enc, done) {
          lines.push(chunk.toString());
          done();
        },
      }),
    );
    const secret = "radius-shared-secret-never-logged";
    const deadPort = await freePort();
    const announced: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    // The first-start password goes to the console, not to the log: capture the console while the gateway starts.
    // Only the banner is taken; everything else (the test runner's own reports) passes through.
    process.stdout.write = ((text: string | Uint8Array, ...rest: never[]) => {
      if (typeof text === "string" && text.includes("FIRST START")) {
        announced.push(text);
        return true;
      }
      return write(text, ...rest);
    }) as typeof process.stdout.write;
    let gateway: Awaited<ReturnType<typeof startTestGateway>>;
    try {
      gateway = await startTestGateway(
        smallPlantYaml({
          strings: 1,
          blocks: 2,
          extra: `auth:
  providers: [local, radius]
  radius: { servers: [{ host: 127.0.0.1, port: ${deadPort}, secret: ${secret} }], timeout: 300ms, retries: 0 }`,
        }),
        { log },
      );
    } finally {
      process.stdout.write = write;
    }
    const events: EventRecord[] = [];
    gateway.bus.on("event", (e) => void events.push(e));
    try {
      const password = /One-time password: (\S+)/.exec(announced.join(""))?.[1];
      assert.ok(password, "password shown once on the console");
      const file = join(gateway.storagePath, "users.json");
      assert.equal(statSync(file).mode & 0o777, 0o600);
      const login = await gateway.auth.authenticate("admin", password, "ssh", "127.0.0.1");
      assert.deepEqual(login, {
        ok: true,
        principal: { user: "admin", roles: ["admin"], source: "local", mustChangePassword: true },
      });
      const wrong = "wrong-admin-password-typed";
      assert.deepEqual(await gateway.auth.authenticate("admin", wrong, "web", "127.0.0.1"), {
        ok: false,
        reason: "invalid-credentials",
      });
      // Unknown locally, RADIUS down: unreachable, and the password went to RADIUS only encrypted.
      const remote = "password-of-a-radius-user";
      assert.deepEqual(await gateway.auth.authenticate("rita", remote, "telnet", "127.0.0.1"), {
        ok: false,
        reason: "unreachable",
      });
      const audits = events.filter((e) => e.kind === "audit").map((e) => [e.name, e.user, e.detail?.outcome]);
      assert.deepEqual(audits, [
        ["config-changed", "system", undefined],
        ["login-success", "admin", "ok"],
        ["login-failure", "admin", "invalid-credentials"],
        ["login-failure", "rita", "unreachable"],
      ]);
      const everything = lines.join("") + JSON.stringify(events);
      assert.ok(lines.length > 0, "the logger wrote something");
      for (const leaked of [password, wrong, remote, secret])
        assert.ok(!everything.includes(leaked), `${leaked} must not appear in logs or events`);
    } finally {
      await gateway.close();
    }
  });
});
