import { z } from "zod";
import { addressOrCidr } from "../../core/config/address-list.js";
import { duration, host, listener, port } from "../../core/config/primitives.js";
import { SEVERITIES } from "../../core/events.js";

/** RFC 3414 requires at least 8 characters for a USM password. */
const usmSecret = z.string().min(8, "USM passwords need at least 8 characters (RFC 3414)");

export const SNMP_AUTH_PROTOCOLS = ["sha", "sha224", "sha256", "sha384", "sha512"] as const;
export const SNMP_PRIV_PROTOCOLS = ["aes128", "aes256"] as const;
export const SNMP_SECURITY_LEVELS = ["noAuthNoPriv", "authNoPriv", "authPriv"] as const;
export type SnmpSecurityLevel = (typeof SNMP_SECURITY_LEVELS)[number];

export const snmpCommunitySchema = z
  .strictObject({
    name: z.string().min(1).max(64).meta({ description: "Community string (sent in clear text by v1/v2c)." }),
    versions: z
      .array(z.enum(["v1", "v2c"]))
      .min(1)
      .default(["v1", "v2c"])
      .meta({ description: "Protocol versions that may use this community." }),
    sources: z
      .array(addressOrCidr)
      .default([])
      .meta({ description: "Source addresses allowed to use the community; empty: any source." }),
  })
  .meta({ description: "A v1/v2c community. Communities are always read-only; writes need a v3 admin user." });

export const snmpUserSchema = z
  .strictObject({
    name: z.string().min(1).max(32),
    level: z
      .enum(SNMP_SECURITY_LEVELS)
      .default("authPriv")
      .meta({ description: "Minimum security level; requests below it are refused (authorizationError)." }),
    auth: z
      .strictObject({
        protocol: z.enum(SNMP_AUTH_PROTOCOLS).default("sha256"),
        password: usmSecret,
      })
      .optional()
      .meta({ description: "Authentication (HMAC-SHA-1 or SHA-2); required for authNoPriv and authPriv." }),
    priv: z
      .strictObject({
        protocol: z.enum(SNMP_PRIV_PROTOCOLS).default("aes128"),
        password: usmSecret,
      })
      .optional()
      .meta({ description: "Privacy (AES-128 CFB per RFC 3826, or AES-256 CFB, Blumenthal key extension)." }),
    admin: z.boolean().default(false).meta({ description: "May write the threshold objects (only with authPriv)." }),
    sources: z.array(addressOrCidr).default([]).meta({ description: "Allowed source addresses; empty: any." }),
  })
  .meta({ description: "An SNMPv3 USM user." });

export const SNMP_RECEIVER_KINDS = ["v1-trap", "v2c-trap", "v2c-inform", "v3-trap", "v3-inform"] as const;

export const snmpReceiverSchema = z
  .strictObject({
    name: z.string().min(1).optional(),
    kind: z.enum(SNMP_RECEIVER_KINDS),
    host: host,
    port: port.default(162),
    community: z.string().min(1).optional().meta({ description: "Community for v1/v2c receivers." }),
    user: z
      .string()
      .min(1)
      .optional()
      .meta({ description: "Name of a user in `users` whose keys protect v3 notifications." }),
    minSeverity: z
      .enum(SEVERITIES)
      .default("info")
      .meta({ description: "Only alarms of this severity or worse are sent to this receiver." }),
    retries: z.number().int().min(0).max(10).default(3).meta({ description: "Inform retransmissions." }),
    timeout: duration.default(2000).meta({ description: "Time to wait for an inform acknowledgement." }),
  })
  .meta({ description: "Where to send alarm notifications." });

export const snmpConfigSchema = z
  .strictObject({
    ...listener({ enabled: false, host: "127.0.0.1", port: 161 }),
    engineId: z
      .string()
      .regex(/^(0x)?([0-9a-fA-F]{2}){5,32}$/, "expected 5 to 32 bytes in hex, e.g. 80007ed90462617474657279")
      .optional()
      .meta({
        description:
          "SNMPv3 engine id in hex. Default: generated once (0x80007ed905 + 8 random bytes) and kept in the storage folder.",
      }),
    communities: z
      .array(snmpCommunitySchema)
      .default([])
      .meta({ description: "v1/v2c communities; empty disables v1 and v2c." }),
    users: z.array(snmpUserSchema).default([]).meta({ description: "SNMPv3 USM users; empty disables v3." }),
    receivers: z.array(snmpReceiverSchema).default([]),
    maxRepetitions: z
      .number()
      .int()
      .min(1)
      .max(10_000)
      .default(1000)
      .meta({ description: "Cap on varbinds in one GETBULK response (the message size caps it too)." }),
  })
  .superRefine((config, ctx) => {
    const names = new Set<string>();
    config.users.forEach((user, i) => {
      if (names.has(user.name))
        ctx.addIssue({ code: "custom", path: ["users", i, "name"], message: `duplicate user ${user.name}` });
      names.add(user.name);
      if (user.level !== "noAuthNoPriv" && !user.auth)
        ctx.addIssue({ code: "custom", path: ["users", i, "auth"], message: `level ${user.level} needs auth` });
      if (user.level === "authPriv" && !user.priv)
        ctx.addIssue({ code: "custom", path: ["users", i, "priv"], message: "level authPriv needs priv" });
      if (user.admin && user.level !== "authPriv")
        ctx.addIssue({ code: "custom", path: ["users", i, "admin"], message: "an admin user needs level authPriv" });
    });
    config.receivers.forEach((receiver, i) => {
      const v3 = receiver.kind.startsWith("v3");
      if (v3 && !receiver.user)
        ctx.addIssue({ code: "custom", path: ["receivers", i, "user"], message: `${receiver.kind} needs a user` });
      if (v3 && receiver.user && !names.has(receiver.user))
        ctx.addIssue({
          code: "custom",
          path: ["receivers", i, "user"],
          message: `unknown user "${receiver.user}" (define it in protocols.snmp.users)`,
        });
      if (!v3 && !receiver.community)
        ctx.addIssue({
          code: "custom",
          path: ["receivers", i, "community"],
          message: `${receiver.kind} needs a community`,
        });
    });
  });

export type SnmpConfig = z.infer<typeof snmpConfigSchema>;
export type SnmpUserConfig = z.infer<typeof snmpUserSchema>;
export type SnmpReceiverConfig = z.infer<typeof snmpReceiverSchema>;
