/**
 * LDAP and Active Directory providers: search-then-bind with a service account, TLS always verified (LDAPS or
 * StartTLS with the configured CA), filter values escaped (RFC 4515), empty passwords refused before any
 * network traffic, group DNs mapped to roles.
 */
import { readFileSync } from "node:fs";
import type { ConnectionOptions } from "node:tls";
import { Client, type Entry, InvalidCredentialsError, ResultCodeError } from "ldapts";
import type { Logger } from "pino";
import type { AdAuthConfig, LdapAuthConfig } from "./config-schema.js";
import { type AuthProvider, mapRoles, type ProviderOutcome } from "./provider.js";

/** Escapes a value for an LDAP filter (RFC 4515): `\ * ( )` and NUL become `\XX`. */
export function escapeFilterValue(value: string): string {
  return value.replace(/[\\*()\0]/g, (c) => `\\${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

/** Fills `{user}` / `{dn}` placeholders with escaped values. */
export function fillFilter(template: string, values: { user?: string; dn?: string }): string {
  return template.replace(/\{(user|dn)\}/g, (_, key: "user" | "dn") => escapeFilterValue(values[key] ?? ""));
}

/** AD's LDAP_MATCHING_RULE_IN_CHAIN: every group the DN is a member of, through any depth of nesting. */
export const IN_CHAIN = "1.2.840.113556.1.4.1941";

export function adNestedGroupsFilter(userDn: string): string {
  return `(&(objectClass=group)(member:${IN_CHAIN}:=${escapeFilterValue(userDn)}))`;
}

export type AdLogin = { attribute: "sAMAccountName" | "userPrincipalName"; value: string } | { foreign: string };

/** Parses `user`, `user@realm` and `DOMAIN\user`; logins for other domains/realms are `foreign`. */
export function parseAdLogin(login: string, config: Pick<AdAuthConfig, "domain" | "upnSuffixes">): AdLogin {
  const backslash = login.indexOf("\\");
  if (backslash >= 0) {
    const domain = login.slice(0, backslash);
    const user = login.slice(backslash + 1);
    if (!user || !config.domain || domain.toLowerCase() !== config.domain.toLowerCase())
      return { foreign: `domain ${domain} is not ${config.domain ?? "configured"}` };
    return { attribute: "sAMAccountName", value: user };
  }
  const at = login.lastIndexOf("@");
  if (at > 0) {
    const realm = login.slice(at + 1).toLowerCase();
    if (config.upnSuffixes.length > 0 && !config.upnSuffixes.some((s) => s.toLowerCase() === realm))
      return { foreign: `realm ${realm} is not accepted` };
    return { attribute: "userPrincipalName", value: login };
  }
  return { attribute: "sAMAccountName", value: login };
}

export function adUserFilter(login: { attribute: string; value: string }): string {
  return `(&(objectClass=user)(!(objectClass=computer))(${login.attribute}=${escapeFilterValue(login.value)}))`;
}

const UAC = { disabled: 0x2, lockout: 0x10, passwordExpired: 0x800000 } as const;

/** Refuses disabled, locked and expired AD accounts (userAccountControl, lockoutTime, computed flags). */
export function adAccountState(entry: Entry): { ok: true } | { ok: false; locked: boolean; why: string } {
  const number = (name: string) => {
    const raw = entry[name];
    const value = Array.isArray(raw) ? raw[0] : raw;
    return value === undefined ? 0 : Number(value.toString());
  };
  const uac = number("userAccountControl") | number("msDS-User-Account-Control-Computed");
  if (uac & UAC.disabled) return { ok: false, locked: false, why: "account is disabled" };
  if (uac & UAC.lockout || number("lockoutTime") > 0) return { ok: false, locked: true, why: "account is locked" };
  if (uac & UAC.passwordExpired) return { ok: false, locked: false, why: "password has expired" };
  return { ok: true };
}

function values(entry: Entry, name: string): string[] {
  const raw = entry[name];
  if (raw === undefined) return [];
  return (Array.isArray(raw) ? raw : [raw]).map((v) => v.toString());
}

type Flavour = {
  name: "ldap" | "ad";
  config: LdapAuthConfig | AdAuthConfig;
  /** The user search filter, or why this provider does not handle the login. */
  userFilter(login: string): string | { foreign: string };
  attributes: string[];
  refuse(entry: Entry): { ok: true } | { ok: false; locked: boolean; why: string };
  groups(client: Client, entry: Entry): Promise<string[]>;
};

class Unavailable extends Error {
  constructor(
    readonly reason: "unreachable" | "timeout",
    message: string,
  ) {
    super(message);
  }
}

function classify(error: unknown, url: string, log: Logger): Unavailable {
  const e = error as NodeJS.ErrnoException;
  const text = `${e.code ?? ""} ${e.message ?? String(error)}`;
  if (/timeout|timed out|ETIMEDOUT/i.test(text)) return new Unavailable("timeout", `${url}: timed out`);
  if (/CERT|certificate|self.signed|UNABLE_TO_VERIFY|ERR_TLS|altnames/i.test(text)) {
    log.error(
      { server: url, error: e.message },
      "E_AUTH_LDAP_TLS: the directory's certificate is not trusted; set tls.caFile to the CA that signed it (verification is never skipped)",
    );
    return new Unavailable("unreachable", `${url}: certificate not trusted`);
  }
  return new Unavailable("unreachable", `${url}: ${e.code ?? e.message ?? "error"}`);
}

function createDirectoryProvider(flavour: Flavour, log: Logger): AuthProvider {
  const { config } = flavour;
  const ca = config.tls.caFile ? readFileSync(config.tls.caFile, "utf8") : undefined;
  const tls: ConnectionOptions = {
    rejectUnauthorized: true,
    minVersion: "TLSv1.2",
    ...(ca ? { ca } : {}),
    ...(config.tls.servername ? { servername: config.tls.servername } : {}),
  };

  async function connect(url: string): Promise<Client> {
    // tlsOptions only for ldaps://: given for ldap:// they break the later StartTLS upgrade in ldapts 8.
    const client = new Client({
      url,
      timeout: config.timeout,
      connectTimeout: config.timeout,
      ...(url.startsWith("ldaps://") ? { tlsOptions: tls } : {}),
    });
    try {
      if (url.startsWith("ldap://") && config.startTls) await client.startTLS(tls);
      if (config.bindDn) await client.bind(config.bindDn, config.bindPassword ?? "");
      return client;
    } catch (error) {
      await client.unbind().catch(() => undefined);
      if (error instanceof InvalidCredentialsError) {
        log.error(
          { server: url, bindDn: config.bindDn },
          "E_AUTH_LDAP_SERVICE_BIND: the service account was refused; check bindDn and bindPassword",
        );
        throw new Unavailable("unreachable", `${url}: service account refused`);
      }
      throw error;
    }
  }

  async function attempt(url: string, filter: string, password: string): Promise<ProviderOutcome> {
    const client = await connect(url);
    try {
      const { searchEntries } = await client.search(config.baseDn ?? "", {
        scope: "sub",
        filter,
        attributes: flavour.attributes,
        sizeLimit: 2,
      });
      if (searchEntries.length === 0) return { kind: "unknown-user", why: `no entry in ${url}` };
      const [entry] = searchEntries;
      if (searchEntries.length > 1 || !entry)
        return { kind: "reject", reason: "invalid-credentials", why: `login matches several entries in ${url}` };
      const state = flavour.refuse(entry);
      if (!state.ok)
        return {
          kind: "reject",
          reason: state.locked ? "locked" : "invalid-credentials",
          why: `${state.why} (${url})`,
        };
      const groups = await flavour.groups(client, entry);
      try {
        await client.bind(entry.dn, password);
      } catch (error) {
        if (error instanceof InvalidCredentialsError)
          return { kind: "reject", reason: "invalid-credentials", why: `wrong password for ${entry.dn} (${url})` };
        throw error;
      }
      const roles = mapRoles(groups, config);
      if (roles.length === 0)
        return { kind: "reject", reason: "invalid-credentials", why: `${entry.dn} is in no group mapped to a role` };
      const name = values(entry, flavour.name === "ad" ? "sAMAccountName" : "uid")[0];
      return { kind: "accept", user: name ?? entry.dn, roles, why: `bound as ${entry.dn} (${url})` };
    } finally {
      await client.unbind().catch(() => undefined);
    }
  }

  return {
    name: flavour.name,
    async authenticate(login, password) {
      // An empty password would be an "unauthenticated bind" (RFC 4513 5.1.2), which many servers accept.
      if (password.length === 0) return { kind: "reject", reason: "invalid-credentials", why: "empty password" };
      const filter = flavour.userFilter(login);
      if (typeof filter !== "string") return { kind: "unknown-user", why: filter.foreign };
      let last: Unavailable = new Unavailable("unreachable", "no server configured");
      for (const url of config.servers) {
        try {
          return await attempt(url, filter, password);
        } catch (error) {
          last = error instanceof Unavailable ? error : classify(error, url, log);
          if (error instanceof ResultCodeError) last = new Unavailable("unreachable", `${url}: ${error.message}`);
          log.warn({ server: url, why: last.message }, `${flavour.name} server failed; trying the next one`);
        }
      }
      return { kind: "unavailable", reason: last.reason, why: last.message };
    },
  };
}

export function createLdapProvider(config: LdapAuthConfig, log: Logger): AuthProvider {
  return createDirectoryProvider(
    {
      name: "ldap",
      config,
      userFilter: (login) => fillFilter(config.userFilter, { user: login }),
      attributes: ["uid", "cn"],
      refuse: () => ({ ok: true }),
      async groups(client, entry) {
        // Breadth-first through nested groups, each DN asked once, bounded depth.
        const found = new Set<string>();
        let frontier = [entry.dn];
        for (let depth = 0; depth <= config.nestingDepth && frontier.length > 0; depth++) {
          const next: string[] = [];
          for (const dn of frontier) {
            const { searchEntries } = await client.search(config.groupBaseDn ?? config.baseDn ?? "", {
              scope: "sub",
              filter: fillFilter(config.groupFilter, { dn }),
              attributes: ["dn"],
            });
            for (const group of searchEntries)
              if (!found.has(group.dn)) {
                found.add(group.dn);
                next.push(group.dn);
              }
          }
          frontier = next;
        }
        return [...found];
      },
    },
    log,
  );
}

export function createAdProvider(config: AdAuthConfig, log: Logger): AuthProvider {
  return createDirectoryProvider(
    {
      name: "ad",
      config,
      userFilter: (login) => {
        const parsed = parseAdLogin(login, config);
        return "foreign" in parsed ? parsed : adUserFilter(parsed);
      },
      attributes: [
        "sAMAccountName",
        "userPrincipalName",
        "userAccountControl",
        "msDS-User-Account-Control-Computed",
        "lockoutTime",
        "memberOf",
      ],
      refuse: adAccountState,
      async groups(client, entry) {
        // Direct groups from memberOf plus every nesting level through the in-chain matching rule.
        const groups = new Set(values(entry, "memberOf"));
        const { searchEntries } = await client.search(config.groupBaseDn ?? config.baseDn ?? "", {
          scope: "sub",
          filter: adNestedGroupsFilter(entry.dn),
          attributes: ["dn"],
        });
        for (const group of searchEntries) groups.add(group.dn);
        return [...groups];
      },
    },
    log,
  );
}
