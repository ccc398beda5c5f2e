import { z } from "zod";
import { duration } from "../core/config/primitives.js";

const target = z
  .string()
  .regex(/^(\d+\/\d+|\d+|all)$/, 'expected "S/B" (string/block), "S" (whole string) or "all"')
  .meta({ description: 'What the step acts on: "S/B" one block, "S" a whole string, "all" every string.' });

const relative = z
  .union([z.number(), z.string().regex(/^[+-]\d+(\.\d+)?%?$/, 'expected a number, "+0.5" or "+60%"')])
  .meta({ description: 'Absolute value, or a change: "+0.5", "-0.2", "+60%".' });

const step = z.discriminatedUnion("action", [
  z.strictObject({
    at: duration,
    action: z.literal("set"),
    target,
    point: z.enum(["voltage", "temperature", "resistance", "ageing", "current", "capacity", "ambient", "humidity"]),
    value: relative,
  }),
  z.strictObject({ at: duration, action: z.enum(["offline", "online"]), target }),
  z.strictObject({
    at: duration,
    action: z.literal("fault"),
    target,
    fault: z.enum(["none", "crc", "slow", "stuck", "wrong-type", "unbalanceable"]),
    probability: z.number().min(0).max(1).default(1).meta({ description: "For crc: share of corrupted replies." }),
    delay: duration.default(500).meta({ description: "For slow: added reply delay." }),
  }),
  z.strictObject({
    at: duration,
    action: z.enum(["discharge", "charge"]),
    target: target.default("all"),
    current: z.number().positive().meta({ description: "Current magnitude in amperes." }),
    duration: duration.optional().meta({ description: "Return to float afterwards; absent = until the next step." }),
  }),
  z.strictObject({ at: duration, action: z.enum(["float", "rest"]), target: target.default("all") }),
  z.strictObject({ at: duration, action: z.literal("remote"), target, on: z.boolean() }),
]);

export const simulatorSchema = z
  .strictObject({
    enabled: z.boolean().default(false),
    pacing: z
      .boolean()
      .default(false)
      .meta({ description: "Delay replies by the byte time of the request and reply at the bus baud rate." }),
    seed: z.number().int().default(1).meta({ description: "Seed of the per-block spread, so runs are repeatable." }),
    control: z
      .boolean()
      .default(true)
      .meta({ description: "Accept live control (bmsgw sim …) on the control socket." }),
    mode: z.enum(["float", "charge", "rest"]).default("float"),
    initialSoc: z.number().min(0).max(100).default(100),
    timeScale: z
      .number()
      .min(1)
      .max(100_000)
      .default(1)
      .meta({
        description:
          "Plant time runs this many times faster than wall time (charge, ageing, mode durations, scenario times). " +
          "The in-process gateway's analysis follows it; a standalone simulator should keep 1.",
      }),
    ambientTemperature: z.number().default(23),
    scenario: z.array(step).default([]),
  })
  .meta({ description: "Built-in probe simulator; emulates every device profile on the wire." });

export type SimulatorConfig = z.infer<typeof simulatorSchema>;
export type ScenarioStep = SimulatorConfig["scenario"][number];
