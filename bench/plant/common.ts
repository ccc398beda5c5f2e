import { z } from "zod";

export { freePorts } from "../../test/helpers/ports.js";

/** The alarm the scenario raises: block voltage above the high alarm level (event 103). */
export const SCENARIO_EVENT_ID = 103;

/** Percentile (nearest rank) of unsorted numbers; NaN for an empty list. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Where an alarm was observed. */
export const DESTINATIONS = ["snmp-trap", "syslog", "web", "modbus", "bacnet"] as const;
export type Destination = (typeof DESTINATIONS)[number];

const stats = z.object({
  type: z.literal("stats"),
  protocol: z.string(),
  /** Cumulative since the client started. */
  requests: z.number(),
  errors: z.number(),
  /** A few error texts, for the report. */
  errorSamples: z.array(z.string()),
  extra: z.record(z.string(), z.number()).default({}),
});
const seen = z.object({
  type: z.literal("seen"),
  destination: z.enum(DESTINATIONS),
  state: z.enum(["raised", "cleared"]),
  eventId: z.number(),
  stringId: z.number(),
  /** Absent where the destination only knows the string (BACnet string alarm objects). */
  block: z.number().optional(),
  /** Which of several clients of one kind saw it (BACnet subscriber, web client). */
  observer: z.number().default(0),
  /** Wall-clock ms (Date.now() plus sub-ms) at which the client saw it. */
  time: z.number(),
});

/** Messages from a client process to the driver. */
export const clientMessageSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("ready") }),
  stats,
  seen,
  z.object({ type: z.literal("fatal"), error: z.string() }),
]);
export type ClientMessage = z.input<typeof clientMessageSchema>;
export type SeenMessage = z.output<typeof seen>;
export type StatsMessage = z.output<typeof stats>;

/** Messages from the driver to a client process. */
export const driverMessageSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("watch"), stringId: z.number(), block: z.number() }),
  z.object({ type: z.literal("stop") }),
]);
export type DriverMessage = z.infer<typeof driverMessageSchema>;

/** Precise wall-clock time in ms (the processes of one run share the machine's clock). */
export function now(): number {
  return performance.timeOrigin + performance.now();
}

/** Plumbing of a client process: its settings from the environment, sending messages, and the stop request. */
export function clientProcess<S extends z.ZodType>(schema: S) {
  const settings = schema.parse(JSON.parse(process.env.PLANT_CLIENT ?? "{}")) as z.output<S>;
  const send = (message: ClientMessage) => process.send?.(message);
  const handlers: ((message: DriverMessage) => void)[] = [];
  process.on("message", (raw) => {
    const parsed = driverMessageSchema.safeParse(raw);
    if (!parsed.success) return;
    for (const handler of handlers) handler(parsed.data);
  });
  // The driver going away ends the client too.
  process.on("disconnect", () => process.exit(0));
  const fail = (error: unknown) => {
    send({ type: "fatal", error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    setTimeout(() => process.exit(1), 100);
  };
  process.on("uncaughtException", fail);
  process.on("unhandledRejection", fail);
  return { settings, send, onMessage: (handler: (message: DriverMessage) => void) => handlers.push(handler), fail };
}

/** Counts requests and errors and keeps the first few error texts. */
export class Counter {
  requests = 0;
  errors = 0;
  readonly errorSamples: string[] = [];
  readonly extra: Record<string, number> = {};

  ok(): void {
    this.requests++;
  }

  error(text: string): void {
    this.requests++;
    this.errors++;
    if (this.errorSamples.length < 5) this.errorSamples.push(text);
  }

  add(key: string, n = 1): void {
    this.extra[key] = (this.extra[key] ?? 0) + n;
  }

  message(protocol: string): ClientMessage {
    return {
      type: "stats",
      protocol,
      requests: this.requests,
      errors: this.errors,
      errorSamples: [...this.errorSamples],
      extra: { ...this.extra },
    };
  }
}
