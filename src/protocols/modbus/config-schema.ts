import { z } from "zod";
import { addressOrCidr } from "../../core/config/address-list.js";
import { duration, listener } from "../../core/config/primitives.js";

export const modbusWritesSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(false)
      .meta({ description: "Accept FC05/06/15/16 writes. Off: every write is answered with exception 01." }),
    allow: z
      .array(addressOrCidr)
      .default([])
      .meta({ description: "Source addresses (TCP) allowed to write; others get exception 01. Empty: nobody." }),
    role: z
      .enum(["operator", "admin"])
      .default("operator")
      .meta({ description: "Role of a Modbus writer; output override needs admin." }),
    serial: z
      .boolean()
      .default(false)
      .meta({ description: "Accept writes on the RTU slave (the serial line has no source address)." }),
  })
  .meta({ description: "Remote writes: acknowledge alarms, equalization, output override." });

export const modbusRtuSlaveSchema = z
  .strictObject({
    enabled: z.boolean().default(false),
    path: z.string().min(1).default("/dev/ttyUSB0").meta({ description: "Serial device of the upstream RS485 port." }),
    baudRate: z.number().int().positive().default(19200),
    parity: z.enum(["none", "even", "odd"]).default("even"),
    stopBits: z.union([z.literal(1), z.literal(2)]).default(1),
    unitId: z.number().int().min(1).max(247).optional().meta({
      description:
        "Extra unit id answering with the plant view (system area, alarm list). String units (unit id = string id) always answer.",
    }),
  })
  .meta({ description: "Modbus RTU slave on the gateway's upstream serial port, serving the same register map." });

export const modbusConfigSchema = z.strictObject({
  ...listener({ enabled: false, host: "127.0.0.1", port: 502 }),
  unknownUnit: z
    .enum(["exception", "ignore"])
    .default("exception")
    .meta({ description: "TCP request for a unit id that is no string: exception 0x0B (default) or no answer." }),
  wordOrder: z
    .enum(["high-first", "low-first"])
    .default("high-first")
    .meta({ description: "Order of the two registers of a 32-bit value: high word first (default) or low first." }),
  maxConnections: z.number().int().min(1).max(10_000).default(64),
  idleTimeout: duration.default(120_000).meta({ description: "Close a TCP connection idle this long; 0 = never." }),
  writes: modbusWritesSchema.default(() => modbusWritesSchema.parse({})),
  rtu: modbusRtuSlaveSchema.default(() => modbusRtuSlaveSchema.parse({})),
});

export type ModbusConfig = z.infer<typeof modbusConfigSchema>;
