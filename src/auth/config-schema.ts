import { z } from "zod";
import { duration, port } from "../core/config/primitives.js";

export const ROLES = ["viewer", "operator", "admin"] as const;
const role = z.enum(ROLES);

/** Maps a directory group DN or RADIUS attribute value to a role; keys are compared case-insensitively. */
const roleMap = z
  .record(z.string().min(1), role)
  .default({})
  .meta({ description: "Group DN (LDAP/AD) or attribute value (RADIUS) → role. The highest matching role wins." });

const defaultRole = z
  .enum(["none", ...ROLES])
  .default("none")
  .meta({ description: "Role for an authenticated user that matches no roleMap entry; `none` refuses the login." });

export const localAuthSchema = z.strictObject({
  file: z
    .string()
    .min(1)
    .default("users.json")
    .meta({ description: "Users file (argon2id hashes, SSH keys), relative to storage.path unless absolute." }),
  minPasswordLength: z.number().int().min(8).max(128).default(10),
});

export const radiusServerSchema = z.strictObject({
  host: z.string().min(1).meta({ description: "RADIUS server address (IPv4/IPv6 literal or name)." }),
  port: port.default(1812),
  secret: z.string().min(8).meta({ description: "Shared secret of this server (at least 8 characters)." }),
});

export const radiusAuthSchema = z.strictObject({
  servers: z
    .array(radiusServerSchema)
    .default([])
    .meta({ description: "Tried in order; the next one is asked only when one does not answer." }),
  timeout: duration.default(3000).meta({ description: "Wait for a verified reply per attempt." }),
  retries: z.number().int().min(0).max(5).default(1).meta({ description: "Retransmissions per server." }),
  nasIdentifier: z.string().min(1).default("bmsgw"),
  roleAttribute: z
    .discriminatedUnion("type", [
      z.strictObject({ type: z.literal("filter-id") }),
      z.strictObject({ type: z.literal("class") }),
      z.strictObject({
        type: z.literal("vsa"),
        vendorId: z.number().int().min(1).max(0xffffff),
        vendorType: z.number().int().min(1).max(255),
      }),
    ])
    .default({ type: "filter-id" })
    .meta({ description: "Where the role comes from in an Access-Accept: Filter-Id, Class or a vendor attribute." }),
  roleMap,
  defaultRole,
});

const tlsSchema = z.strictObject({
  caFile: z
    .string()
    .optional()
    .meta({ description: "PEM file of the CA that signed the directory's certificate; system CAs when omitted." }),
  servername: z.string().optional().meta({ description: "Name expected in the server certificate (SNI)." }),
});

const directoryCommon = {
  servers: z
    .array(z.string().regex(/^ldaps?:\/\/[^/]+\/?$/, "expected ldap://host[:port] or ldaps://host[:port]"))
    .default([])
    .meta({ description: "Directory URLs, tried in order when one is unreachable." }),
  startTls: z.boolean().default(true).meta({ description: "Upgrade ldap:// connections with StartTLS (required)." }),
  allowPlaintext: z
    .boolean()
    .default(false)
    .meta({ description: "Allow ldap:// without StartTLS (passwords in clear text!). Test labs only." }),
  tls: tlsSchema.default({}),
  bindDn: z.string().min(1).optional().meta({ description: "Service account used to search for the user." }),
  bindPassword: z.string().optional().meta({ description: "Service account password." }),
  baseDn: z.string().min(1).optional().meta({ description: "Where users are searched." }),
  timeout: duration.default(5000),
  roleMap,
  defaultRole,
};

export const ldapAuthSchema = z.strictObject({
  ...directoryCommon,
  userFilter: z
    .string()
    .default("(&(objectClass=inetOrgPerson)(uid={user}))")
    .meta({ description: "User search filter; {user} is replaced by the escaped login name." }),
  groupBaseDn: z.string().optional().meta({ description: "Where groups are searched; baseDn when omitted." }),
  groupFilter: z
    .string()
    .default("(|(&(objectClass=groupOfNames)(member={dn}))(&(objectClass=groupOfUniqueNames)(uniqueMember={dn})))")
    .meta({ description: "Groups whose member is {dn} (escaped DN of the user or of a group, for nesting)." }),
  nestingDepth: z.number().int().min(0).max(10).default(3).meta({ description: "Levels of nested groups followed." }),
});

export const adAuthSchema = z.strictObject({
  ...directoryCommon,
  domain: z
    .string()
    .min(1)
    .optional()
    .meta({ description: "NetBIOS domain accepted in DOMAIN\\user logins (e.g. EXAMPLE)." }),
  upnSuffixes: z
    .array(z.string().min(1))
    .default([])
    .meta({ description: "Realms accepted in user@realm logins (e.g. example.com); any realm when empty." }),
  groupBaseDn: z.string().optional().meta({ description: "Where groups are searched; baseDn when omitted." }),
});

export const lockoutSchema = z.strictObject({
  maxFailures: z.number().int().min(1).default(5).meta({ description: "Failures per user before the user is locked." }),
  maxFailuresPerAddress: z
    .number()
    .int()
    .min(1)
    .default(20)
    .meta({ description: "Failures from one remote address before it is locked." }),
  window: duration.default(900_000).meta({ description: "Failures older than this are forgotten." }),
  lockFor: duration.default(60_000).meta({ description: "First lock; each further lock doubles (back-off)." }),
  maxLockFor: duration.default(3_600_000).meta({ description: "Upper bound of the back-off." }),
});

export const PROVIDERS = ["local", "radius", "ldap", "ad"] as const;
export type ProviderName = (typeof PROVIDERS)[number];

/** Login providers and lockout policy. */
export const authConfigSchema = z
  .strictObject({
    providers: z.array(z.enum(PROVIDERS)).min(1).default(["local"]).meta({
      description:
        "Order in which providers are asked. The next one is asked only when one is unreachable or does not know the user — never after a wrong password.",
    }),
    local: localAuthSchema.default(() => localAuthSchema.parse({})),
    radius: radiusAuthSchema.default(() => radiusAuthSchema.parse({})),
    ldap: ldapAuthSchema.default(() => ldapAuthSchema.parse({})),
    ad: adAuthSchema.default(() => adAuthSchema.parse({})),
    lockout: lockoutSchema.default(() => lockoutSchema.parse({})),
  })
  .superRefine((auth, ctx) => {
    auth.providers.forEach((name, i) => {
      if (auth.providers.indexOf(name) !== i)
        ctx.addIssue({ code: "custom", path: ["providers", i], message: `${name} is listed twice` });
    });
    if (auth.providers.includes("radius") && auth.radius.servers.length === 0)
      ctx.addIssue({ code: "custom", path: ["radius", "servers"], message: "radius is a provider but has no servers" });
    for (const name of ["ldap", "ad"] as const) {
      if (!auth.providers.includes(name)) continue;
      const section = auth[name];
      if (section.servers.length === 0)
        ctx.addIssue({ code: "custom", path: [name, "servers"], message: `${name} is a provider but has no servers` });
      if (!section.baseDn) ctx.addIssue({ code: "custom", path: [name, "baseDn"], message: "baseDn is required" });
      if (section.bindDn && section.bindPassword === undefined)
        ctx.addIssue({ code: "custom", path: [name, "bindPassword"], message: "bindDn needs a bindPassword" });
      section.servers.forEach((url, i) => {
        if (url.startsWith("ldap://") && !section.startTls && !section.allowPlaintext)
          ctx.addIssue({
            code: "custom",
            path: [name, "servers", i],
            message:
              "ldap:// without startTls sends passwords in clear text; use ldaps://, startTls: true, or allowPlaintext: true",
          });
      });
    }
  });

export type AuthConfig = z.output<typeof authConfigSchema>;
export type RadiusAuthConfig = AuthConfig["radius"];
export type LdapAuthConfig = AuthConfig["ldap"];
export type AdAuthConfig = AuthConfig["ad"];
export type LockoutConfig = AuthConfig["lockout"];
