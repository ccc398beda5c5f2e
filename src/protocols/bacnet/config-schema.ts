import { z } from "zod";
import { addressOrCidr } from "../../core/config/address-list.js";
import { duration, host, port } from "../../core/config/primitives.js";

/** Highest BACnet object instance number (4194303 is the "any instance" wildcard). */
export const MAX_INSTANCE = 4_194_302;

const ipv4 = z
  .string()
  .regex(/^\d{1,3}(\.\d{1,3}){3}$/, "expected an IPv4 address such as 192.168.1.20")
  .meta({ description: "IPv4 address." });

const writesSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(false)
      .meta({ description: "Allow WriteProperty on writable objects (relay outputs). Off by default." }),
    allow: z
      .array(addressOrCidr)
      .default([])
      .meta({ description: "Source addresses or CIDR blocks allowed to write; empty = nobody, even when enabled." }),
    role: z.enum(["viewer", "operator", "admin"]).default("operator").meta({
      description:
        "Role an allowed BACnet peer acts with; the auth policy decides (relay outputs need admin by default).",
    }),
  })
  .meta({ description: "WriteProperty policy. Secure by default: writes are refused until enabled and allowed." });

const foreignDeviceSchema = z
  .strictObject({
    bbmd: ipv4.meta({ description: "Address of the BBMD to register with." }),
    port: port.default(47808),
    ttl: z
      .number()
      .int()
      .min(30)
      .max(65535)
      .default(300)
      .meta({ description: "Time-to-live of the registration in seconds; renewed at half of it." }),
  })
  .meta({ description: "Register as a foreign device with a BBMD (for workstations on another IP subnet)." });

const covSchema = z
  .strictObject({
    defaultLifetime: duration
      .default(3_600_000)
      .meta({ description: "Lifetime given to subscriptions that ask for an indefinite one (0)." }),
    maxSubscriptions: z.number().int().min(1).max(100_000).default(1000),
    increments: z
      .strictObject({
        voltage: z.number().positive().default(0.01).meta({ description: "COV increment of voltages in V." }),
        temperature: z.number().positive().default(0.5).meta({ description: "COV increment of temperatures in °C." }),
        resistance: z.number().positive().default(0.05).meta({ description: "COV increment of resistances in mΩ." }),
        current: z.number().positive().default(0.5).meta({ description: "COV increment of currents in A." }),
        percent: z.number().positive().default(1).meta({ description: "COV increment of percentages." }),
      })
      .default(() => ({ voltage: 0.01, temperature: 0.5, resistance: 0.05, current: 0.5, percent: 1 })),
  })
  .meta({ description: "Change-of-value defaults." });

export const bacnetConfigSchema = z
  .strictObject({
    enabled: z.boolean().default(false),
    host: host
      .default("0.0.0.0")
      .meta({ description: "Address to bind the BACnet/IP UDP socket to (also the broadcast domain)." }),
    port: port.default(47808).meta({ description: "UDP port (BACnet/IP default 47808 = 0xBAC0)." }),
    broadcastAddress: ipv4.optional().meta({
      description:
        "Where I-Am broadcasts go; default: the directed broadcast of the bind address, else 255.255.255.255.",
    }),
    deviceInstance: z
      .number()
      .int()
      .min(0)
      .max(MAX_INSTANCE)
      .default(1)
      .meta({ description: "Device object instance; must be unique on the BACnet internetwork." }),
    deviceName: z.string().min(1).optional().meta({ description: "Object_Name of the device; default: site name." }),
    vendorId: z
      .number()
      .int()
      .min(0)
      .max(65535)
      .default(0)
      .meta({ description: "ASHRAE vendor identifier. 0 until the project registers its own." }),
    blockObjects: z
      .boolean()
      .default(true)
      .meta({ description: "Project per-block objects; turn off for very large plants (string objects stay)." }),
    writes: writesSchema.default(() => writesSchema.parse({})),
    foreignDevice: foreignDeviceSchema.optional(),
    cov: covSchema.default(() => covSchema.parse({})),
  })
  .meta({ description: "BACnet/IP device (Annex J)." });

export type BacnetConfig = z.output<typeof bacnetConfigSchema>;
