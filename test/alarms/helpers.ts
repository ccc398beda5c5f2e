import type { Principal } from "../../src/core/adapter.js";
import type { EventRecord } from "../../src/core/events.js";
import { afterSweeps, type TestGateway } from "../helpers/gateway.js";

export const admin: Principal = { user: "tester", roles: ["admin"], source: "test" };

/** Records every event on the bus from now on, and waits for the ones a test expects. */
export class EventWatch {
  readonly records: EventRecord[] = [];
  private readonly waiters = new Set<() => void>();
  readonly dispose: () => void;

  constructor(gateway: TestGateway) {
    this.dispose = gateway.bus.on("event", (record) => {
      this.records.push(record);
      for (const wake of [...this.waiters]) wake();
    });
  }

  /** Resolves with the first record (seen so far or later) that matches. */
  next(match: (r: EventRecord) => boolean, timeoutMs = 8000, from = 0): Promise<EventRecord> {
    const found = this.records.slice(from).find(match);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const wake = () => {
        const hit = this.records.slice(from).find(match);
        if (!hit) return;
        this.waiters.delete(wake);
        clearTimeout(timer);
        resolve(hit);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(wake);
        reject(
          new Error(
            `no matching event within ${timeoutMs} ms; saw ${this.records.slice(from).map(describe).join("; ")}`,
          ),
        );
      }, timeoutMs);
      this.waiters.add(wake);
    });
  }

  mark(): number {
    return this.records.length;
  }

  since(mark: number): EventRecord[] {
    return this.records.slice(mark);
  }
}

export function describe(r: EventRecord): string {
  return `${r.kind} ${r.eventId} ${r.name} s${r.stringId ?? "-"}b${r.block ?? "-"}`;
}

export async function sim(gateway: TestGateway, ...args: string[]): Promise<void> {
  const result = await gateway.commands.run(admin, { kind: "sim", args });
  if (!result.ok) throw new Error(`sim ${args.join(" ")}: ${result.error}`);
}

/** Waits for `n` further sweeps of every bus, so the poller has read the simulator at least that many times. */
export async function sweeps(gateway: TestGateway, n: number): Promise<void> {
  await afterSweeps(gateway, n);
}

/** One action on the plant: simulator words, a relay output switched through the gateway's command, or a pause. */
export type Step =
  | readonly string[]
  | { readonly output: "load" | "charge"; readonly stringId: number; readonly closed: boolean }
  | { readonly waitMs: number };

export interface Scenario {
  readonly title: string;
  readonly eventId: number;
  readonly stringId?: number;
  readonly block?: number;
  /** Crosses the threshold. */
  readonly apply: readonly Step[];
  /** Values that stay inside the deadband: the alarm must neither clear nor be raised again. */
  readonly wobble?: readonly Step[];
  /** Brings the value back to normal. */
  readonly restore: readonly Step[];
  /** The rule's raise and clear delays in this test's config. */
  readonly raiseDelay: number;
  readonly clearDelay: number;
}

export async function run(gateway: TestGateway, step: Step): Promise<void> {
  if ("waitMs" in step) await new Promise((r) => setTimeout(r, step.waitMs));
  else if ("output" in step) {
    const result = await gateway.commands.run(admin, {
      kind: "output",
      stringId: step.stringId,
      output: step.output,
      closed: step.closed,
    });
    if (!result.ok) throw new Error(`output: ${result.error}`);
  } else await sim(gateway, ...(step as string[]));
}

/**
 * Runs one alarm scenario against a live gateway and checks the lifecycle: raised no earlier than its delay after the
 * crossing, neither cleared nor raised again while the value wobbles inside the deadband, cleared no earlier than
 * its delay after the restore, then the plant is back to no active alarms.
 */
export async function runScenario(gateway: TestGateway, watch: EventWatch, s: Scenario): Promise<EventRecord[]> {
  const same = (r: EventRecord) =>
    r.eventId === s.eventId && r.stringId === s.stringId && (s.block === undefined || r.block === s.block);
  const mark = watch.mark();
  const appliedAt = Date.now();
  for (const step of s.apply) await run(gateway, step);
  const raised = await watch.next((r) => r.kind === "alarm-raised" && same(r), 8000, mark);
  assertTrue(raised.time - appliedAt >= s.raiseDelay, `${s.title}: raised before its ${s.raiseDelay} ms delay`);
  await gateway.waitFor((snap) => snap.alarms.some((a) => a.eventId === s.eventId && a.stringId === s.stringId));
  for (const step of s.wobble ?? []) {
    await run(gateway, step);
    await sweeps(gateway, 8);
  }
  const inDeadband = watch.since(mark).filter((r) => same(r) && r !== raised);
  assertTrue(
    inDeadband.length === 0,
    `${s.title}: inside the deadband expected no transition, got ${inDeadband.map(describe).join("; ")}`,
  );
  const restoredAt = Date.now();
  for (const step of s.restore) await run(gateway, step);
  const cleared = await watch.next((r) => r.kind === "alarm-cleared" && same(r), 8000, mark);
  assertTrue(cleared.time - restoredAt >= s.clearDelay, `${s.title}: cleared before its ${s.clearDelay} ms delay`);
  const raisedAgain = watch.since(mark).filter((r) => same(r) && r.kind === "alarm-raised");
  assertTrue(raisedAgain.length === 1, `${s.title}: raised ${raisedAgain.length} times, expected once`);
  await noAlarms(gateway);
  const log = gateway.services.eventLog;
  assertTrue(log !== undefined, "the event log runs");
  await log.flush();
  const logged = log.query({
    eventId: s.eventId,
    ...(s.stringId !== undefined ? { stringId: s.stringId } : {}),
    ...(s.block !== undefined ? { block: s.block } : {}),
    from: raised.time,
    order: "asc",
  });
  const kinds = logged.map((r) => `${r.kind}#${r.seq}`);
  assertTrue(
    kinds.includes(`alarm-raised#${raised.seq}`) && kinds.includes(`alarm-cleared#${cleared.seq}`) && raised.seq > 0,
    `${s.title}: the event log holds the raise and the clear, got ${kinds.join(", ")}`,
  );
  return [raised, cleared];
}

function assertTrue(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

/** Waits until no alarm is active; on timeout names the ones still active. */
export async function noAlarms(gateway: TestGateway, timeoutMs = 8000): Promise<void> {
  try {
    await gateway.waitFor((snap) => snap.alarms.length === 0, timeoutMs);
  } catch {
    const left = gateway.model
      .current()
      .alarms.map((a) => `${a.name} s${a.stringId ?? "-"}b${a.block ?? "-"}: ${a.text}`);
    throw new Error(`alarms still active: ${left.join("; ")}`);
  }
}
