import { eventByName } from "../alarms/catalogue.js";
import type { EventRecord } from "../events.js";
import type { PlantSnapshot } from "../model.js";
import type { DeviceInfo, PlantTopology, StringInfo } from "../topology.js";
import {
  type EffectiveProtection,
  type FailSafeState,
  type ProtectionConfig,
  resolveProtection,
} from "./protection-config.js";

/**
 * The protection controller (Victron smallBMS behaviour), one snapshot at a time, no I/O. Per string with a relay
 * module it keeps four latched conditions with hysteresis — under-voltage (load), over-voltage, over- and
 * under-temperature (charge) — the remote on/off input and a fail-safe state, decides the wanted state of each
 * output and says which relay writes are due. Every change of a wanted output state and every entry into and exit
 * from fail-safe is an event (221–224); the relay read-back then raises/clears alarms 208/209.
 *
 * Precedence per output: remote off → open; fail-safe → its configured state (open / closed / hold); otherwise open
 * while a condition is latched. Under-voltage latches only once the load-disconnect pre-alarm (207) has been active
 * for `prealarmLead`, so the pre-alarm always precedes the disconnect by at least that.
 */

const PREALARM = 207;

type OutputName = "load" | "charge";

interface Condition {
  active: boolean;
  /** Why it is active, for events and status. */
  text: string;
  /** What restores it (the hysteresis level), for the event when the output closes again. */
  restoredText: string;
  value: number;
  threshold: number;
}

interface Output {
  /** Wanted state: true = closed (connected); undefined until first decided. */
  closed?: boolean;
  reasons: string[];
  /** State last written successfully to the relay module; undefined = unknown (never, or module went silent). */
  written?: boolean;
  lastAttempt: number;
  lastFailed: boolean;
}

interface StringProtection {
  readonly info: StringInfo;
  readonly relay: DeviceInfo;
  readonly levels: EffectiveProtection;
  readonly underVoltage: Condition;
  readonly overVoltage: Condition;
  readonly overTemperature: Condition;
  readonly underTemperature: Condition;
  remoteOff: boolean;
  failSafe: boolean;
  failSafeCause: string;
  /** Since when the fail-safe causes are gone (0 = not gone). */
  goodSince: number;
  readonly load: Output;
  readonly charge: Output;
}

/** One relay write the controller wants. */
export interface RelayWrite {
  readonly stringIndex: number;
  readonly stringId: number;
  readonly output: OutputName;
  readonly closed: boolean;
}

export interface ProtectionOutputStatus {
  /** Wanted state (true = closed); null until decided. */
  readonly closed: boolean | null;
  /** Why it is open (empty when closed). */
  readonly reasons: readonly string[];
  /** What the relay module reports (null = unknown or not answering). */
  readonly readBack: boolean | null;
}

export interface ProtectionStringStatus {
  readonly stringId: number;
  readonly load: ProtectionOutputStatus;
  readonly charge: ProtectionOutputStatus;
  readonly failSafe: boolean;
  readonly failSafeCause?: string;
  readonly remoteOff: boolean;
  readonly conditions: Readonly<
    Record<"underVoltage" | "overVoltage" | "overTemperature" | "underTemperature", boolean>
  >;
}

/** Query interface offered to adapters (console, web, REST). */
export interface ProtectionView {
  strings(): ProtectionStringStatus[];
}

const condition = (): Condition => ({
  active: false,
  text: "",
  restoredText: "",
  value: Number.NaN,
  threshold: Number.NaN,
});
const output = (): Output => ({ reasons: [], lastAttempt: 0, lastFailed: false });

export class ProtectionController implements ProtectionView {
  private readonly strings_: StringProtection[] = [];
  private readonly startedAt: number;
  private latest?: PlantSnapshot;

  constructor(
    topology: PlantTopology,
    private readonly config: ProtectionConfig,
    now = Date.now(),
  ) {
    this.startedAt = now;
    for (const device of topology.devices) {
      if (device.role.kind !== "relay") continue;
      const info = topology.strings[device.role.stringIndex] as StringInfo;
      this.strings_.push({
        info,
        relay: device,
        levels: resolveProtection(config, info),
        underVoltage: condition(),
        overVoltage: condition(),
        overTemperature: condition(),
        underTemperature: condition(),
        remoteOff: false,
        failSafe: false,
        failSafeCause: "",
        goodSince: 0,
        load: output(),
        charge: output(),
      });
    }
  }

  get size(): number {
    return this.strings_.length;
  }

  /** Decides on one snapshot: the events of this step and the relay writes due now. */
  evaluate(snapshot: PlantSnapshot, now: number): { events: EventRecord[]; writes: RelayWrite[] } {
    this.latest = snapshot;
    const events: EventRecord[] = [];
    const writes: RelayWrite[] = [];
    const { staleAfter, recoverAfter } = this.config.failSafe;
    const starting = now - this.startedAt < staleAfter;
    for (const p of this.strings_) {
      const s = p.info;
      const relayComm = snapshot.devices[p.relay.index]?.comm ?? "unknown";
      const relaySilent = relayComm === "comm-lost" || relayComm === "wrong-device";
      if (!relaySilent && relayComm !== "ok") {
        if (starting) continue;
      }
      if (relayComm !== "ok") {
        // Whatever the module holds after a silence (it may have restarted) is unknown: write again once it answers.
        p.load.written = undefined;
        p.charge.written = undefined;
      }
      const data = readBlocks(snapshot, s, now, staleAfter);
      if (data.staleBlock > 0 && starting && !p.failSafe && p.load.closed === undefined) continue;

      const cause =
        relayComm !== "ok"
          ? `relay module ${relayComm === "wrong-device" ? "has the wrong identity" : "not answering"}`
          : data.staleBlock > 0
            ? `block ${data.staleBlock} data stale`
            : "";
      if (cause) {
        p.goodSince = 0;
        if (!p.failSafe) {
          p.failSafe = true;
          p.failSafeCause = cause;
          events.push(this.event(p, "protection-fail-safe", now, `protection in fail-safe: ${cause}`, { cause }));
        }
      } else if (p.failSafe) {
        if (p.goodSince === 0) p.goodSince = now;
        if (now - p.goodSince >= recoverAfter) {
          events.push(
            this.event(p, "protection-fail-safe-ended", now, `protection back to normal: ${p.failSafeCause} resolved`, {
              cause: p.failSafeCause,
            }),
          );
          p.failSafe = false;
          p.failSafeCause = "";
          p.goodSince = 0;
        }
      }

      if (data.staleBlock === 0) this.updateConditions(p, data, snapshot, now);
      const remote = snapshot.sample("string.remoteOnOff", s.index);
      if (this.config.remoteInput && remote.quality === "good") p.remoteOff = remote.value === 0;

      const loadReasons = p.underVoltage.active ? [p.underVoltage.text] : [];
      const chargeReasons = [p.overVoltage, p.overTemperature, p.underTemperature]
        .filter((c) => c.active)
        .map((c) => c.text);
      this.decide(p, "load", this.config.failSafe.load, loadReasons, snapshot, now, events);
      this.decide(p, "charge", this.config.failSafe.charge, chargeReasons, snapshot, now, events);
      for (const name of ["load", "charge"] as const) {
        const w = this.due(p, name, snapshot, now);
        if (w !== undefined) {
          p[name].lastAttempt = now;
          writes.push({ stringIndex: s.index, stringId: s.id, output: name, closed: w });
        }
      }
    }
    return { events, writes };
  }

  /** Reports the outcome of a relay write. */
  written(write: RelayWrite, ok: boolean, now: number): void {
    const p = this.strings_.find((x) => x.info.index === write.stringIndex);
    if (!p) return;
    const out = p[write.output];
    out.lastAttempt = now;
    out.lastFailed = !ok;
    if (ok) out.written = write.closed;
  }

  private updateConditions(p: StringProtection, data: BlockData, snapshot: PlantSnapshot, now: number): void {
    const l = p.levels;
    const lead = this.config.loadDisconnect.prealarmLead;
    const prealarm = snapshot.alarms.find((a) => a.eventId === PREALARM && a.stringId === p.info.id);
    const prealarmHeld = lead <= 0 || (prealarm !== undefined && now - prealarm.raisedAt >= lead);
    latch(
      p.underVoltage,
      data.minV < l.loadOff && prealarmHeld,
      data.minV >= l.loadOn,
      `under-voltage: block ${data.minVBlock} at ${v(data.minV)} below ${v(l.loadOff)}`,
      data.minV,
      l.loadOff,
      `every block at or above ${v(l.loadOn)}`,
    );
    latch(
      p.overVoltage,
      data.maxV > l.chargeOff,
      data.maxV <= l.chargeOn,
      `over-voltage: block ${data.maxVBlock} at ${v(data.maxV)} above ${v(l.chargeOff)}`,
      data.maxV,
      l.chargeOff,
      `every block at or below ${v(l.chargeOn)}`,
    );
    latch(
      p.overTemperature,
      data.maxT > l.temperatureHigh,
      data.maxT <= l.temperatureHigh - l.temperatureHysteresis,
      `over-temperature: block ${data.maxTBlock} at ${c(data.maxT)} above ${c(l.temperatureHigh)}`,
      data.maxT,
      l.temperatureHigh,
      `every block at or below ${c(l.temperatureHigh - l.temperatureHysteresis)}`,
    );
    latch(
      p.underTemperature,
      data.minT < l.temperatureLow,
      data.minT >= l.temperatureLow + l.temperatureHysteresis,
      `under-temperature: block ${data.minTBlock} at ${c(data.minT)} below ${c(l.temperatureLow)}`,
      data.minT,
      l.temperatureLow,
      `every block at or above ${c(l.temperatureLow + l.temperatureHysteresis)}`,
    );
  }

  private decide(
    p: StringProtection,
    name: OutputName,
    failSafe: FailSafeState,
    conditionReasons: string[],
    snapshot: PlantSnapshot,
    now: number,
    events: EventRecord[],
  ): void {
    const out = p[name];
    const readBack = readOutput(snapshot, p.info.index, name);
    const previous = out.closed ?? readBack ?? true;
    let closed: boolean;
    let reasons: string[];
    if (p.remoteOff) {
      closed = false;
      reasons = ["remote on/off input off"];
    } else if (p.failSafe && failSafe !== "hold") {
      closed = failSafe === "closed";
      reasons = closed ? [] : [`fail-safe: ${p.failSafeCause}`];
    } else if (p.failSafe) {
      closed = previous;
      reasons = closed ? [] : out.reasons.length > 0 ? out.reasons : [`fail-safe: ${p.failSafeCause}`];
    } else {
      closed = conditionReasons.length === 0;
      reasons = conditionReasons;
    }
    const first = out.closed === undefined;
    const changed = closed !== previous;
    const oldReasons = out.reasons;
    out.closed = closed;
    out.reasons = reasons;
    if (!changed && !(first && !closed)) return;
    const label = name === "load" ? "load" : "charge";
    const primary = name === "load" ? p.underVoltage : firstActive(p);
    const measured = !closed && primary && reasons[0] === primary.text ? primary : undefined;
    events.push(
      this.event(
        p,
        closed ? "protection-output-closed" : "protection-output-opened",
        now,
        closed
          ? `${label} output closed${oldReasons.length ? ` — ${this.restoredBecause(p, oldReasons)}` : ""}`
          : `${label} output opened — ${reasons.join("; ")}`,
        { output: name, reason: closed ? "restored" : reasonCode(reasons[0] ?? "") },
        measured,
      ),
    );
  }

  /** Why an output closed again: the hysteresis level now met, the remote input, or fail-safe over. */
  private restoredBecause(p: StringProtection, oldReasons: string[]): string {
    const texts: string[] = [];
    for (const r of oldReasons) {
      if (r.startsWith("remote")) texts.push("remote input on");
      else if (r.startsWith("fail-safe")) texts.push("fail-safe over");
      else {
        const match = [p.underVoltage, p.overVoltage, p.overTemperature, p.underTemperature].find((x) => x.text === r);
        texts.push(match ? `${r.split(":")[0]} cleared, ${match.restoredText}` : r);
      }
    }
    return texts.join("; ");
  }

  /** The relay state to write now, if any. */
  private due(p: StringProtection, name: OutputName, snapshot: PlantSnapshot, now: number): boolean | undefined {
    const out = p[name];
    if (out.closed === undefined) return undefined;
    const retry = this.config.retryInterval;
    if (out.lastFailed && now - out.lastAttempt < retry) return undefined;
    if (out.written !== out.closed) return out.closed;
    // Written, but the module reports otherwise for a while (someone switched it, or it restarted): write again.
    const readBack = readOutput(snapshot, p.info.index, name);
    if (readBack !== undefined && readBack !== out.closed && now - out.lastAttempt >= retry) return out.closed;
    return undefined;
  }

  private event(
    p: StringProtection,
    name:
      | "protection-output-opened"
      | "protection-output-closed"
      | "protection-fail-safe"
      | "protection-fail-safe-ended",
    time: number,
    text: string,
    detail: Record<string, string>,
    measured?: Condition,
  ): EventRecord {
    const def = eventByName(name);
    return {
      seq: 0,
      time,
      kind: "event",
      eventId: def.eventId,
      name: def.name,
      severity: def.severity,
      stringId: p.info.id,
      ...(measured && Number.isFinite(measured.value) ? { value: round(measured.value) } : {}),
      ...(measured && Number.isFinite(measured.threshold) ? { threshold: measured.threshold } : {}),
      detail,
      text: `String ${p.info.id}: ${text}`,
    };
  }

  strings(): ProtectionStringStatus[] {
    const snapshot = this.latest;
    const status = (p: StringProtection, name: OutputName): ProtectionOutputStatus => ({
      closed: p[name].closed ?? null,
      reasons: [...p[name].reasons],
      readBack: snapshot ? (readOutput(snapshot, p.info.index, name) ?? null) : null,
    });
    return this.strings_.map((p) => ({
      stringId: p.info.id,
      load: status(p, "load"),
      charge: status(p, "charge"),
      failSafe: p.failSafe,
      ...(p.failSafe ? { failSafeCause: p.failSafeCause } : {}),
      remoteOff: p.remoteOff,
      conditions: {
        underVoltage: p.underVoltage.active,
        overVoltage: p.overVoltage.active,
        overTemperature: p.overTemperature.active,
        underTemperature: p.underTemperature.active,
      },
    }));
  }
}

interface BlockData {
  /** First block (1-based) whose voltage or temperature is not good or too old; 0 = all fresh. */
  staleBlock: number;
  minV: number;
  minVBlock: number;
  maxV: number;
  maxVBlock: number;
  minT: number;
  minTBlock: number;
  maxT: number;
  maxTBlock: number;
}

function readBlocks(snapshot: PlantSnapshot, s: StringInfo, now: number, staleAfter: number): BlockData {
  const voltage = snapshot.column("block.voltage");
  const temperature = snapshot.column("block.temperature");
  const d: BlockData = {
    staleBlock: 0,
    minV: Number.POSITIVE_INFINITY,
    minVBlock: 0,
    maxV: Number.NEGATIVE_INFINITY,
    maxVBlock: 0,
    minT: Number.POSITIVE_INFINITY,
    minTBlock: 0,
    maxT: Number.NEGATIVE_INFINITY,
    maxTBlock: 0,
  };
  for (let b = 1; b <= s.blockCount; b++) {
    const row = s.firstBlockRow + b - 1;
    const fresh =
      voltage.quality(row) === 0 &&
      temperature.quality(row) === 0 &&
      now - voltage.time(row) <= staleAfter &&
      now - temperature.time(row) <= staleAfter;
    if (!fresh) {
      if (d.staleBlock === 0) d.staleBlock = b;
      continue;
    }
    const u = voltage.value(row);
    const t = temperature.value(row);
    if (u < d.minV) [d.minV, d.minVBlock] = [u, b];
    if (u > d.maxV) [d.maxV, d.maxVBlock] = [u, b];
    if (t < d.minT) [d.minT, d.minTBlock] = [t, b];
    if (t > d.maxT) [d.maxT, d.maxTBlock] = [t, b];
  }
  return d;
}

/** The relay read-back of one output: true closed, false open, undefined unknown. */
function readOutput(snapshot: PlantSnapshot, stringIndex: number, name: OutputName): boolean | undefined {
  const sample = snapshot.sample(name === "load" ? "string.loadDisconnect" : "string.chargeDisconnect", stringIndex);
  return sample.quality === "good" ? sample.value === 1 : undefined;
}

function latch(
  c: Condition,
  trip: boolean,
  restore: boolean,
  text: string,
  value: number,
  threshold: number,
  restoredText: string,
): void {
  c.restoredText = restoredText;
  if (!c.active && trip) {
    c.active = true;
    c.text = text;
    c.value = value;
    c.threshold = threshold;
  } else if (c.active && restore) {
    c.active = false;
  }
}

function firstActive(p: StringProtection): Condition | undefined {
  return [p.overVoltage, p.overTemperature, p.underTemperature].find((x) => x.active);
}

function reasonCode(text: string): string {
  if (text.startsWith("remote")) return "remote-off";
  if (text.startsWith("fail-safe")) return "fail-safe";
  return text.split(":")[0] ?? text;
}

const v = (x: number) => `${x.toFixed(3)} V`;
const c = (x: number) => `${x.toFixed(1)} °C`;
const round = (x: number) => Math.round(x * 1e6) / 1e6;
