import type { Logger } from "pino";
import type {
  AuthFailure,
  AuthResult,
  AuthService,
  GatewayCommands,
  LocalUserAdmin,
  Principal,
  Role,
} from "../core/adapter.js";
import { authorize } from "./authorize.js";
import type { AuthConfig, ProviderName } from "./config-schema.js";
import { createAdProvider, createLdapProvider } from "./ldap-provider.js";
import { LocalUserStore, parseSshPublicKey, UserAdminError } from "./local-users.js";
import { Lockout } from "./lockout.js";
import type { AuthProvider, ProviderOutcome } from "./provider.js";
import { radiusAuthenticate } from "./radius-client.js";

export { authorize } from "./authorize.js";
export { LocalUserStore, UserAdminError } from "./local-users.js";

export type AuditRecord = Parameters<GatewayCommands["audit"]>[0];

export interface AuthServiceOptions {
  readonly config: AuthConfig;
  /** Absolute storage folder; the local users file lives here. */
  readonly storagePath: string;
  readonly log: Logger;
  /** Receives every login attempt (login-success / login-failure) and user change (config-changed). */
  readonly audit: (record: AuditRecord) => void;
  /**
   * Shows the first-start admin password once. Default: stdout (when the logger shows warnings), outside the
   * log records, so it never reaches log files or syslog.
   */
  readonly announce?: (text: string) => void;
  /** Clock for lockout (tests). */
  readonly now?: () => number;
}

const MAX_USER = 256;
const MAX_PASSWORD = 1024;

/** The lockout key: the bare account name, so `alice`, `EXAMPLE\alice` and `alice@example.com` share one counter. */
function lockoutKey(login: string): string {
  const afterDomain = login.slice(login.lastIndexOf("\\") + 1);
  const at = afterDomain.lastIndexOf("@");
  return (at > 0 ? afterDomain.slice(0, at) : afterDomain).toLowerCase();
}

function hasControlCharacters(text: string): boolean {
  for (const c of text) {
    const code = c.codePointAt(0) ?? 0;
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

/** A printable, bounded form of what the client sent as user name, for audit records. */
function auditName(login: string): string {
  const clean = [...login].map((c) => (hasControlCharacters(c) ? "?" : c)).join("");
  return clean.length > 64 ? `${clean.slice(0, 64)}…` : clean;
}

/**
 * The gateway's auth chain: providers asked in the configured order, falling through to the next one only when
 * a provider is unreachable or does not know the user — never after a wrong password. Per-user and per-address
 * lockout with back-off; every attempt audited. On first start with no local users, creates `admin` with a
 * random password shown once and flagged must-change.
 */
export async function createAuthService(options: AuthServiceOptions): Promise<AuthService> {
  const { config, log, audit } = options;
  const lockout = new Lockout(config.lockout, options.now);
  const usesLocal = config.providers.includes("local");
  const store = new LocalUserStore(options.storagePath, config.local.file, config.local.minPasswordLength);

  if (usesLocal) {
    const password = await store.ensureInitialAdmin();
    if (password !== undefined) {
      // Straight to the console, never into log records; quiet when the logger is (tests, --quiet runs).
      const announce = options.announce ?? ((text: string) => log.isLevelEnabled("warn") && process.stdout.write(text));
      announce(
        [
          "",
          "=====================================================================",
          " FIRST START: created local user 'admin' (role admin).",
          ` One-time password: ${password}`,
          " It is shown only this once and must be changed at first login.",
          "=====================================================================",
          "",
        ].join("\n"),
      );
      log.warn({ file: store.file }, "first start: created local user admin; its one-time password was shown once");
      // After start-up has wired the audit sink (the gateway's command router is created after the auth service).
      setImmediate(() =>
        audit({ name: "config-changed", user: "system", text: "created first-start user admin", detail: {} }),
      );
    }
  }

  const providers: AuthProvider[] = config.providers.map((name): AuthProvider => {
    switch (name) {
      case "local":
        return {
          name,
          async authenticate(user, password) {
            const result = await store.verify(user, password);
            if (!result) return { kind: "unknown-user", why: "no such local user" };
            if (!result.ok) return { kind: "reject", reason: "invalid-credentials", why: "wrong password" };
            return {
              kind: "accept",
              user: result.user.name,
              roles: result.user.roles,
              mustChangePassword: result.user.mustChangePassword,
              why: "local password",
            };
          },
        };
      case "radius":
        return {
          name,
          authenticate: (user, password) =>
            radiusAuthenticate(config.radius, user, password, log.child({ provider: "radius" })),
        };
      case "ldap":
        return createLdapProvider(config.ldap, log.child({ provider: "ldap" }));
      default:
        return createAdProvider(config.ad, log.child({ provider: "ad" }));
    }
  });

  const record = (
    outcome: "success" | "failure",
    login: string,
    protocol: string,
    remoteAddress: string,
    provider: ProviderName | "none",
    reason: string,
    why: string,
  ) => {
    audit({
      name: outcome === "success" ? "login-success" : "login-failure",
      user: auditName(login),
      text: `${outcome === "success" ? "login" : "login refused"} for ${auditName(login)} via ${protocol} from ${remoteAddress} (${provider}: ${why})`,
      detail: { protocol, remoteAddress, provider, outcome: outcome === "success" ? "ok" : reason, why },
    });
  };

  async function authenticate(
    username: string,
    password: string,
    protocol: string,
    remoteAddress: string,
  ): Promise<AuthResult> {
    const fail = (reason: AuthFailure, provider: ProviderName | "none", why: string): AuthResult => {
      record("failure", username, protocol, remoteAddress, provider, reason, why);
      return { ok: false, reason };
    };
    if (!username || username.length > MAX_USER || hasControlCharacters(username))
      return fail("invalid-credentials", "none", "malformed user name");
    if (!password || password.length > MAX_PASSWORD)
      return fail("invalid-credentials", "none", password ? "password too long" : "empty password");
    const key = lockoutKey(username);
    const lock = lockout.locked(key, remoteAddress);
    if (lock) return fail("locked", "none", `${lock.scope} locked until ${new Date(lock.until).toISOString()}`);

    let unavailable: Extract<ProviderOutcome, { kind: "unavailable" }> | undefined;
    let lastProvider: ProviderName | "none" = "none";
    const unknown: string[] = [];
    for (const provider of providers) {
      lastProvider = provider.name;
      let outcome: ProviderOutcome;
      try {
        outcome = await provider.authenticate(username, password);
      } catch (error) {
        log.error({ err: error, provider: provider.name }, "auth provider failed; trying the next one");
        outcome = { kind: "unavailable", reason: "unreachable", why: (error as Error).message };
      }
      if (outcome.kind === "accept") {
        lockout.success(key);
        const principal: Principal = {
          user: outcome.user,
          roles: outcome.roles,
          source: provider.name,
          ...(outcome.mustChangePassword ? { mustChangePassword: true } : {}),
        };
        record(
          "success",
          username,
          protocol,
          remoteAddress,
          provider.name,
          "ok",
          `${outcome.why}; roles ${outcome.roles.join(",")}`,
        );
        return { ok: true, principal };
      }
      if (outcome.kind === "reject") {
        if (outcome.reason === "invalid-credentials") lockout.failure(key, remoteAddress);
        return fail(outcome.reason, provider.name, outcome.why);
      }
      if (outcome.kind === "unavailable") unavailable = outcome;
      else unknown.push(`${provider.name}: ${outcome.why}`);
    }
    if (unavailable) return fail(unavailable.reason, lastProvider, unavailable.why);
    lockout.failure(key, remoteAddress);
    return fail("invalid-credentials", lastProvider, `unknown user (${unknown.join("; ")})`);
  }

  async function authenticateKey(
    username: string,
    publicKey: string,
    protocol: string,
    remoteAddress: string,
  ): Promise<AuthResult> {
    const key = lockoutKey(username);
    const lock = lockout.locked(key, remoteAddress);
    const fail = (reason: AuthFailure, why: string): AuthResult => {
      record("failure", username, protocol, remoteAddress, "local", reason, why);
      return { ok: false, reason };
    };
    if (lock) return fail("locked", `${lock.scope} locked`);
    const offered = parseSshPublicKey(publicKey);
    if (!usesLocal || !offered) return fail("invalid-credentials", "key not accepted");
    const user = await store.find(username);
    if (!user?.keys.includes(offered.canonical)) return fail("invalid-credentials", "key not authorized");
    lockout.success(key);
    record("success", username, protocol, remoteAddress, "local", "ok", `public key ${offered.type}`);
    return {
      ok: true,
      principal: {
        user: user.name,
        roles: user.roles,
        source: "local",
        ...(user.mustChangePassword ? { mustChangePassword: true } : {}),
      },
    };
  }

  return {
    authenticate,
    authenticateKey,
    authorize,
    ...(usesLocal ? { users: createUserAdmin(store, audit) } : {}),
  };
}

function createUserAdmin(store: LocalUserStore, audit: (record: AuditRecord) => void): LocalUserAdmin {
  const require = (actor: Principal, self?: string) => {
    if (authorize(actor, "users.manage")) return;
    if (self !== undefined && actor.user === self && actor.source === "local") return;
    throw new UserAdminError("E_FORBIDDEN", `${actor.user} may not manage users`);
  };
  const changed = (actor: Principal, text: string) =>
    audit({ name: "config-changed", user: actor.user, text, detail: { source: actor.source, area: "users" } });
  return {
    async list(actor) {
      require(actor);
      return store.list();
    },
    async add(actor, name, password, roles: readonly Role[], options) {
      require(actor);
      const info = await store.add(name, password, roles, options);
      changed(actor, `added local user ${name} (${roles.join(",")})`);
      return info;
    },
    async setPassword(actor, name, password, mustChangePassword = false) {
      require(actor, name);
      const info = await store.setPassword(name, password, mustChangePassword);
      changed(actor, `set the password of local user ${name}`);
      return info;
    },
    async setRoles(actor, name, roles) {
      require(actor);
      const info = await store.setRoles(name, roles);
      changed(actor, `set the roles of local user ${name} to ${roles.join(",")}`);
      return info;
    },
    async setKeys(actor, name, keys) {
      require(actor, name);
      const info = await store.setKeys(name, keys);
      changed(actor, `set ${keys.length} SSH key(s) of local user ${name}`);
      return info;
    },
    async delete(actor, name) {
      require(actor);
      await store.delete(name);
      changed(actor, `deleted local user ${name}`);
    },
  };
}
