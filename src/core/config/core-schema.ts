import { z } from "zod";
import { profileById } from "../profiles/index.js";
import { duration, host, port } from "./primitives.js";

const modbusAddress = z.number().int().min(1).max(247).meta({ description: "Modbus unit address on the bus (1–247)." });

export const siteSchema = z
  .strictObject({
    name: z.string().min(1).default("Battery plant"),
    location: z.string().default(""),
    contact: z.string().default(""),
    description: z.string().default(""),
  })
  .meta({ description: "Identity of the site, shown by every interface (SNMP system group, BACnet device, web)." });

const busTiming = z.strictObject({
  timeout: duration.default(300).meta({ description: "How long to wait for a reply before a retry." }),
  retries: z.number().int().min(0).max(10).default(2),
  interFrameDelay: z
    .union([z.literal("auto"), duration])
    .default("auto")
    .meta({ description: "Silence between frames; auto = 3.5 characters at the bus baud rate (1.75 ms above 19200)." }),
  pollInterval: duration.default(1000).meta({ description: "Minimum time from one sweep's start to the next." }),
  commLossAfter: z
    .number()
    .int()
    .min(1)
    .max(100)
    .default(3)
    .meta({ description: "Consecutive failed polls after which a device is declared comm-lost." }),
  identityCheck: duration.default(600_000).meta({
    description: "How often each device's type and serial are read again, so a probe swapped on a live bus is noticed.",
  }),
});

const serialTransport = z.strictObject({
  type: z.literal("serial"),
  path: z.string().min(1).meta({ description: "Serial device, e.g. /dev/ttyUSB0." }),
  baudRate: z.number().int().positive().default(19200),
  parity: z.enum(["none", "even", "odd"]).default("none"),
  stopBits: z.union([z.literal(1), z.literal(2)]).default(1),
  dataBits: z.union([z.literal(7), z.literal(8)]).default(8),
});

const rtuTcpTransport = z.strictObject({
  type: z.literal("rtu-tcp"),
  host: host,
  port: port.default(502),
  baudRate: z
    .number()
    .int()
    .positive()
    .default(19200)
    .meta({ description: "Baud rate of the RS485 side of the converter (used for timing only)." }),
});

const simulatedTransport = z.strictObject({
  type: z.literal("simulated"),
  baudRate: z.number().int().positive().default(19200),
});

export const busSchema = z.strictObject({
  id: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, "use letters, digits, - and _")
    .meta({ description: "Bus name used by strings and commands." }),
  transport: z
    .discriminatedUnion("type", [serialTransport, rtuTcpTransport, simulatedTransport])
    .meta({ description: "serial (USB-RS485), rtu-tcp (RS485-to-Ethernet converter) or simulated (built-in)." }),
  timing: busTiming.default(() => busTiming.parse({})),
});

export const CHEMISTRIES = ["vrla", "vla", "lifepo4", "nicd"] as const;
export type Chemistry = (typeof CHEMISTRIES)[number];

const deviceRef = z.strictObject({ profile: z.string().optional(), address: modbusAddress });

export const stringSchema = z.strictObject({
  id: z.number().int().min(1).max(999).meta({ description: "String number, 1-based and unique." }),
  name: z.string().optional(),
  bus: z.string().meta({ description: "Id of the bus the string's probes are on." }),
  chemistry: z.enum(CHEMISTRIES).default("vrla"),
  nominalBlockVoltage: z
    .union([z.literal(1.2), z.literal(2), z.literal(3.2), z.literal(6), z.literal(12), z.literal(12.8)])
    .default(12)
    .meta({ description: "Nominal voltage of one block: 2, 6 or 12 V lead-acid, 3.2/12.8 V LiFePO4, 1.2 V NiCd." }),
  blocks: z.number().int().min(1).max(1000),
  capacityAh: z.number().positive().default(100),
  probes: z
    .strictObject({
      profile: z.string().default("cell-probe"),
      address: z
        .union([modbusAddress, z.array(modbusAddress).min(1)])
        .meta({ description: "First address (consecutive addresses follow), or one address per device." }),
    })
    .meta({ description: "Block probes: cell-probe (one per block) or string-master (up to 120 blocks each)." }),
  stringSensor: deviceRef
    .optional()
    .meta({ description: "String voltage/current sensor (not needed with a string master)." }),
  relay: deviceRef.optional().meta({ description: "Relay module for load/charge-disconnect outputs." }),
  serials: z
    .record(z.string().regex(/^\d+$/), z.string().min(1))
    .optional()
    .meta({ description: "Commissioned probe serial numbers by block number; a different serial is reported." }),
});

export const environmentSchema = z.strictObject({
  bus: z.string(),
  address: modbusAddress,
  profile: z.string().default("env-sensor"),
});

export const storageSchema = z.strictObject({
  path: z.string().default("var").meta({ description: "Folder for the database, users, keys and the control socket." }),
});

export const loggingSchema = z.strictObject({
  level: z.enum(["trace", "debug", "info", "warn", "error"]).default("info"),
  summaryInterval: duration.default(30_000).meta({ description: "Interval of the one-line plant summary; 0 = off." }),
});

/** The sections core owns; the application adds simulator, alarms, protocols, notifications and auth. */
export const coreConfigShape = {
  site: siteSchema.default(() => siteSchema.parse({})),
  buses: z.array(busSchema).default([]),
  strings: z.array(stringSchema).default([]),
  environment: environmentSchema.optional(),
  storage: storageSchema.default(() => storageSchema.parse({})),
  logging: loggingSchema.default(() => loggingSchema.parse({})),
};

const coreConfigSchema = z.object(coreConfigShape);
export type CoreConfig = z.infer<typeof coreConfigSchema>;
export type BusConfig = z.infer<typeof busSchema>;
export type StringConfig = z.infer<typeof stringSchema>;
export type SiteConfig = z.infer<typeof siteSchema>;

/** Cross-field checks of the core sections; each issue names the path of the offending field. */
export function refineCoreConfig(config: CoreConfig, ctx: z.RefinementCtx): void {
  const busIds = new Set<string>();
  config.buses.forEach((bus, i) => {
    if (busIds.has(bus.id))
      ctx.addIssue({ code: "custom", path: ["buses", i, "id"], message: `duplicate bus id "${bus.id}"` });
    busIds.add(bus.id);
  });
  const used = new Map<string, string>();
  const claim = (bus: string, address: number, owner: string, path: (string | number)[]) => {
    const key = `${bus}/${address}`;
    const previous = used.get(key);
    if (previous)
      ctx.addIssue({
        code: "custom",
        path,
        message: `address ${address} on bus "${bus}" is already used by ${previous}`,
      });
    else used.set(key, owner);
  };
  const checkProfile = (id: string, path: (string | number)[]) => {
    if (!profileById(id)) ctx.addIssue({ code: "custom", path, message: `unknown device profile "${id}"` });
  };
  const stringIds = new Set<number>();
  config.strings.forEach((s, i) => {
    const at = (...rest: (string | number)[]) => ["strings", i, ...rest];
    if (stringIds.has(s.id)) ctx.addIssue({ code: "custom", path: at("id"), message: `duplicate string id ${s.id}` });
    stringIds.add(s.id);
    if (!busIds.has(s.bus)) ctx.addIssue({ code: "custom", path: at("bus"), message: `unknown bus "${s.bus}"` });
    const profile = profileById(s.probes.profile);
    if (!profile) {
      checkProfile(s.probes.profile, at("probes", "profile"));
      return;
    }
    if (profile.blocksPerDevice === 0) {
      ctx.addIssue({
        code: "custom",
        path: at("probes", "profile"),
        message: `profile "${profile.id}" does not measure blocks`,
      });
      return;
    }
    const devices = Math.ceil(s.blocks / profile.blocksPerDevice);
    const addresses = Array.isArray(s.probes.address)
      ? s.probes.address
      : Array.from({ length: devices }, (_, k) => (s.probes.address as number) + k);
    if (addresses.length !== devices)
      ctx.addIssue({
        code: "custom",
        path: at("probes", "address"),
        message: `${s.blocks} blocks need ${devices} ${profile.id} device(s), ${addresses.length} address(es) given`,
      });
    addresses.forEach((a, k) => {
      if (a > 247)
        ctx.addIssue({
          code: "custom",
          path: at("probes", "address"),
          message: `device ${k + 1} would be at address ${a} > 247`,
        });
      else claim(s.bus, a, `string ${s.id} probe ${k + 1}`, at("probes", "address"));
    });
    for (const role of ["stringSensor", "relay"] as const) {
      const ref = s[role];
      if (!ref) continue;
      if (ref.profile) checkProfile(ref.profile, at(role, "profile"));
      claim(s.bus, ref.address, `string ${s.id} ${role}`, at(role, "address"));
    }
    for (const block of Object.keys(s.serials ?? {})) {
      const n = Number(block);
      if (n < 1 || n > s.blocks)
        ctx.addIssue({ code: "custom", path: at("serials", block), message: `block ${n} is outside 1..${s.blocks}` });
    }
  });
  if (config.environment) {
    const env = config.environment;
    if (!busIds.has(env.bus))
      ctx.addIssue({ code: "custom", path: ["environment", "bus"], message: `unknown bus "${env.bus}"` });
    checkProfile(env.profile, ["environment", "profile"]);
    claim(env.bus, env.address, "the environment sensor", ["environment", "address"]);
  }
}
