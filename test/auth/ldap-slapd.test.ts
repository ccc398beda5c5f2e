import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { pino } from "pino";
import { authConfigSchema } from "../../src/auth/config-schema.js";
import { type AuditRecord, createAuthService } from "../../src/auth/index.js";
import { adNestedGroupsFilter, adUserFilter, escapeFilterValue, parseAdLogin } from "../../src/auth/ldap-provider.js";
import type { AuthService } from "../../src/core/adapter.js";
import { LDAP_BASE, SERVICE_DN, SERVICE_PW, startSlapd } from "./peers.js";

const silent = pino({ level: "silent" });

describe("LDAP filter construction", () => {
  it("escapes filter metacharacters so a login cannot change the filter", () => {
    assert.equal(escapeFilterValue("a*)(uid=*)\\\0"), "a\\2a\\29\\28uid=\\2a\\29\\5c\\00");
  });

  it("builds AD user filters for user, user@realm and DOMAIN\\user and refuses foreign domains", () => {
    const config = { domain: "EXAMPLE", upnSuffixes: ["example.test"] };
    assert.deepEqual(parseAdLogin("grace", config), { attribute: "sAMAccountName", value: "grace" });
    assert.deepEqual(parseAdLogin("example\\grace", config), { attribute: "sAMAccountName", value: "grace" });
    assert.deepEqual(parseAdLogin("grace@Example.test", config), {
      attribute: "userPrincipalName",
      value: "grace@Example.test",
    });
    assert.ok("foreign" in parseAdLogin("OTHER\\grace", config));
    assert.ok("foreign" in parseAdLogin("grace@evil.test", config));
    assert.equal(
      adUserFilter({ attribute: "sAMAccountName", value: "g*" }),
      "(&(objectClass=user)(!(objectClass=computer))(sAMAccountName=g\\2a))",
    );
  });

  it("asks AD for nested groups with the in-chain matching rule and an escaped DN", () => {
    assert.equal(
      adNestedGroupsFilter("cn=Smith\\, J (ops),ou=ad,dc=example,dc=test"),
      "(&(objectClass=group)(member:1.2.840.113556.1.4.1941:=cn=Smith\\5c, J \\28ops\\29,ou=ad,dc=example,dc=test))",
    );
  });
});

describe("LDAP and AD providers against slapd on loopback", () => {
  let slapd: Awaited<ReturnType<typeof startSlapd>>;
  const storage = mkdtempSync(join(tmpdir(), "bmsgw-auth-ldap-"));

  before(async () => {
    slapd = await startSlapd();
  });
  after(async () => {
    await slapd?.stop();
    rmSync(storage, { recursive: true, force: true });
  });

  const directory = (overrides: Record<string, unknown> = {}) => ({
    servers: [`ldap://127.0.0.1:${slapd.ldapPort}`],
    startTls: true,
    tls: { caFile: slapd.ca },
    bindDn: SERVICE_DN,
    bindPassword: SERVICE_PW,
    timeout: 3000,
    ...overrides,
  });

  async function service(
    provider: "ldap" | "ad",
    overrides: Record<string, unknown> = {},
  ): Promise<{ auth: AuthService; audits: AuditRecord[] }> {
    const audits: AuditRecord[] = [];
    const section =
      provider === "ldap"
        ? {
            ...directory(overrides),
            baseDn: `ou=people,${LDAP_BASE}`,
            groupBaseDn: `ou=groups,${LDAP_BASE}`,
            roleMap: {
              [`cn=bms-operators,ou=groups,${LDAP_BASE}`]: "operator",
              [`cn=bms-admins, ou=groups, ${LDAP_BASE}`]: "admin",
            },
          }
        : {
            ...directory(overrides),
            baseDn: `ou=ad,${LDAP_BASE}`,
            domain: "EXAMPLE",
            upnSuffixes: ["example.test"],
            roleMap: { [`CN=BMS Operators,OU=ad,${LDAP_BASE.toUpperCase()}`]: "operator" },
          };
    const auth = await createAuthService({
      config: authConfigSchema.parse({ providers: [provider], [provider]: section }),
      storagePath: mkdtempSync(join(storage, "svc-")),
      log: silent,
      audit: (r) => void audits.push(r),
    });
    return { auth, audits };
  }

  it("logs in over StartTLS by search-then-bind and maps a nested group to its role", async () => {
    const { auth, audits } = await service("ldap");
    const result = await auth.authenticate("dave", "dave-ldap-pw", "ssh", "127.0.0.1");
    assert.deepEqual(
      result,
      { ok: true, principal: { user: "dave", roles: ["operator"], source: "ldap" } },
      audits.at(-1)?.text,
    );
    assert.equal(audits.at(-1)?.name, "login-success");
    assert.equal(audits.at(-1)?.detail?.provider, "ldap");
  });

  it("logs in over LDAPS with the test CA", async () => {
    const { auth } = await service("ldap", { servers: [`ldaps://127.0.0.1:${slapd.ldapsPort}`], startTls: false });
    const result = await auth.authenticate("erin", "erin-ldap-pw", "web", "127.0.0.1");
    assert.deepEqual(result, { ok: true, principal: { user: "erin", roles: ["admin"], source: "ldap" } });
  });

  it("refuses a wrong password", async () => {
    const { auth } = await service("ldap");
    assert.deepEqual(await auth.authenticate("dave", "not-daves-pw", "ssh", "127.0.0.1"), {
      ok: false,
      reason: "invalid-credentials",
    });
  });

  it("refuses an empty password without an unauthenticated bind", async () => {
    const { auth, audits } = await service("ldap");
    assert.deepEqual(await auth.authenticate("dave", "", "ssh", "127.0.0.1"), {
      ok: false,
      reason: "invalid-credentials",
    });
    assert.match(audits.at(-1)?.detail?.why ?? "", /empty password/);
  });

  it("refuses filter injection in the login name", async () => {
    const { auth } = await service("ldap");
    for (const login of ["*", "erin)(|(uid=*", "*)(uid=erin", "er*"])
      assert.deepEqual(await auth.authenticate(login, "erin-ldap-pw", "ssh", "127.0.0.1"), {
        ok: false,
        reason: "invalid-credentials",
      });
  });

  it("refuses a user in no mapped group", async () => {
    const { auth } = await service("ldap");
    assert.deepEqual(await auth.authenticate("frank", "frank-ldap-pw", "ssh", "127.0.0.1"), {
      ok: false,
      reason: "invalid-credentials",
    });
  });

  it("never skips certificate verification: a server signed by another CA is unreachable", async () => {
    const { auth } = await service("ldap", {
      servers: [`ldaps://127.0.0.1:${slapd.ldapsPort}`],
      startTls: false,
      tls: { caFile: slapd.otherCa },
    });
    assert.deepEqual(await auth.authenticate("erin", "erin-ldap-pw", "ssh", "127.0.0.1"), {
      ok: false,
      reason: "unreachable",
    });
  });

  it("reports a refused service account as unreachable, not as the user's wrong password", async () => {
    const { auth } = await service("ldap", { bindPassword: "wrong-service-pw" });
    assert.deepEqual(await auth.authenticate("dave", "dave-ldap-pw", "ssh", "127.0.0.1"), {
      ok: false,
      reason: "unreachable",
    });
  });

  it("logs AD users in as user, DOMAIN\\user and user@realm with the role of their group", async () => {
    const { auth, audits } = await service("ad");
    for (const login of ["grace", "EXAMPLE\\grace", "grace@example.test"]) {
      const result = await auth.authenticate(login, "grace-ad-pw", "ssh", "127.0.0.1");
      assert.deepEqual(
        result,
        { ok: true, principal: { user: "grace", roles: ["operator"], source: "ad" } },
        `${login}: ${audits.at(-1)?.text}`,
      );
    }
  });

  it("refuses disabled and locked AD accounts and logins for another domain", async () => {
    const { auth } = await service("ad");
    assert.deepEqual(await auth.authenticate("henry", "henry-ad-pw", "ssh", "127.0.0.1"), {
      ok: false,
      reason: "invalid-credentials",
    });
    assert.deepEqual(await auth.authenticate("ivan", "ivan-ad-pw", "ssh", "127.0.0.1"), {
      ok: false,
      reason: "locked",
    });
    assert.deepEqual(await auth.authenticate("OTHER\\grace", "grace-ad-pw", "ssh", "127.0.0.1"), {
      ok: false,
      reason: "invalid-credentials",
    });
  });
});
