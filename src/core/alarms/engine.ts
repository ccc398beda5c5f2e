import type { ActiveAlarm, AlarmSummary, EventRecord } from "../events.js";
import { type PointChange, Q_GOOD, type WorkingModel } from "../model.js";
import type { PointId } from "../points.js";
import type { PlantTopology, StringInfo } from "../topology.js";
import { type EventDefinition, type EventName, eventByName } from "./catalogue.js";
import type { AlarmsConfig, StringShape } from "./config-schema.js";
import { type EffectiveThresholds, resolveThresholds } from "./thresholds.js";

/** Result of one condition test: present, absent, or unknown (value not good — the state is left as it is). */
const PRESENT = 1;
const ABSENT = 0;
const UNKNOWN = -1;
type Verdict = typeof PRESENT | typeof ABSENT | typeof UNKNOWN;

/** Scratch the tests write the value and limit they compared into (no allocation per test). */
interface Reading {
  value: number;
  threshold: number;
}

/** The part of a rule the `alarms` section decides (replaced on a live reconfiguration). */
interface RuleSettings {
  enabled: boolean;
  raiseDelay: number;
  clearDelay: number;
  latching: boolean;
  suppressDuringDischarge: boolean;
  suppressAfterMeasurement: boolean;
}

interface Rule extends RuleSettings {
  readonly index: number;
  readonly def: EventDefinition;
  readonly scope: "block" | "string" | "system";
  readonly unit: string;
  /** Rows with a track, so a rule with none can skip the map lookup for absent conditions. */
  tracked: number;
  /** `active` selects the clear test (hysteresis) instead of the raise test. */
  readonly test: (row: number, active: boolean, out: Reading) => Verdict;
  /** Extra words for the alarm text, e.g. which component failed. */
  readonly note?: () => string | undefined;
}

type Phase = "pending-raise" | "raised" | "pending-clear" | "latched";

interface Track {
  readonly rule: Rule;
  readonly row: number;
  phase: Phase;
  since: number;
  alarm?: ActiveAlarm;
}

/** Keys tracks by rule and row; rows stay below 2^21 (1000 strings × 1000 blocks fits). */
const ROW_SPAN = 2 ** 21;

export interface AlarmEngineOptions {
  readonly topology: PlantTopology;
  readonly config: AlarmsConfig;
  readonly emit: (record: EventRecord) => void;
  /** Resistance baselines learned earlier, by block row (NaN = none yet). */
  readonly baselines?: Float64Array;
  /** Called after a commit in which new baselines were learned, to persist them. */
  readonly onBaselinesLearned?: (baselines: Float64Array) => void;
  readonly now?: () => number;
  /** Id of the first alarm raised (one past the last id in the event log, so ids stay unique across restarts). */
  readonly firstAlarmId?: number;
}

/** Per-rule defaults that differ from the section's: comm alarms follow the poller at once, runaway holds 5 min. */
const RULE_DEFAULTS: Partial<Record<EventName, { raiseDelay?: number; clearDelay?: number }>> = {
  "probe-comm-lost": { raiseDelay: 0, clearDelay: 0 },
  "probe-identity-mismatch": { raiseDelay: 0, clearDelay: 0 },
  "string-sensor-comm-lost": { raiseDelay: 0, clearDelay: 0 },
  "environment-sensor-comm-lost": { raiseDelay: 0, clearDelay: 0 },
  "system-fault": { raiseDelay: 0, clearDelay: 0 },
  "load-disconnect-tripped": { raiseDelay: 0, clearDelay: 0 },
  "charge-disconnect-tripped": { raiseDelay: 0, clearDelay: 0 },
  "thermal-runaway": { raiseDelay: 300_000 },
  discharge: { raiseDelay: 0 },
};

const high = (value: number, limit: number, deadband: number, active: boolean): Verdict => {
  if (!Number.isFinite(limit)) return ABSENT;
  return (active ? value > limit - deadband : value > limit) ? PRESENT : ABSENT;
};
const low = (value: number, limit: number, deadband: number, active: boolean): Verdict => {
  if (!Number.isFinite(limit)) return ABSENT;
  return (active ? value < limit + deadband : value < limit) ? PRESENT : ABSENT;
};

/**
 * Evaluates every alarm rule inside each model commit (so a snapshot's alarm list matches its values) and runs the
 * lifecycle raised → acknowledged → cleared with deadbands, raise/clear delays, latching and suppression windows.
 * Work per commit is proportional to the strings that changed plus the alarms in progress, not the plant size.
 */
/** Threshold groups that carry their own deadband. */
type BandedGroup = {
  [K in keyof EffectiveThresholds]: EffectiveThresholds[K] extends { readonly deadband: number } ? K : never;
}[keyof EffectiveThresholds];

export class AlarmEngine {
  private readonly topology: PlantTopology;
  private readonly now: () => number;
  private readonly rules: Rule[] = [];
  private readonly tracks = new Map<number, Track>();
  private config: AlarmsConfig;
  private stringThresholds: EffectiveThresholds[] = [];
  private blockThresholds: EffectiveThresholds[] = [];
  private readonly blockString: Int32Array;
  private readonly baselines: Float64Array;
  private baselinesLearned = false;
  private readonly suppressUntil: Float64Array;
  private readonly dischargeActive: Uint8Array;
  /** Per-commit device conditions: 1 = comm lost, 2 = identity mismatch, by block row. */
  private readonly blockComm: Uint8Array;
  private readonly stringSensorLost: Uint8Array;
  private environmentLost = false;
  /** Gateway components reported down (system fault 301), with their reason. */
  private readonly failedComponents = new Map<string, string>();
  private model!: WorkingModel;
  private nextAlarmId = 1;
  private changed = true;
  private list: ActiveAlarm[] = [];
  private firstRun = true;

  constructor(private readonly options: AlarmEngineOptions) {
    const { topology } = options;
    this.topology = topology;
    this.config = options.config;
    this.now = options.now ?? Date.now;
    this.nextAlarmId = options.firstAlarmId ?? 1;
    this.blockString = topology.stringOfBlock;
    this.resolveAllThresholds();
    this.baselines = options.baselines ?? new Float64Array(topology.blockCount).fill(Number.NaN);
    this.suppressUntil = new Float64Array(topology.strings.length);
    this.dischargeActive = new Uint8Array(topology.strings.length);
    this.blockComm = new Uint8Array(topology.blockCount);
    this.stringSensorLost = new Uint8Array(topology.strings.length);
    this.defineRules();
  }

  /** Records a gateway component as failed (text) or working again (undefined); evaluated at the next commit. */
  componentFailed(component: string, text: string | undefined): void {
    if (text === undefined) this.failedComponents.delete(component);
    else this.failedComponents.set(component, text);
  }

  /**
   * Applies a new `alarms` section at runtime (thresholds, delays, latching, suppression). Active alarms and pending
   * delays are kept; every string is re-evaluated against the new levels at the next commit.
   */
  reconfigure(config: AlarmsConfig): void {
    this.config = config;
    this.resolveAllThresholds();
    for (const rule of this.rules) Object.assign(rule, this.ruleSettings(rule.def.name as EventName));
    this.firstRun = true;
  }

  private resolveAllThresholds(): void {
    const config = this.config;
    const shapes = this.topology.strings.map(shapeOf);
    this.stringThresholds = shapes.map((s) => resolveThresholds(config, s));
    this.blockThresholds = new Array(this.topology.blockCount);
    for (const s of this.topology.strings) {
      const shared = this.stringThresholds[s.index] as EffectiveThresholds;
      for (let b = 1; b <= s.blockCount; b++)
        this.blockThresholds[s.firstBlockRow + b - 1] = config.blocks[`${s.id}/${b}`]
          ? resolveThresholds(config, shapes[s.index] as StringShape, b)
          : shared;
    }
  }

  private ruleSettings(name: EventName): RuleSettings {
    const config = this.config;
    const own = config.rules[name] ?? {};
    const defaults = RULE_DEFAULTS[name] ?? {};
    return {
      enabled: own.enabled ?? true,
      raiseDelay: own.raiseDelay ?? defaults.raiseDelay ?? config.raiseDelay,
      clearDelay: own.clearDelay ?? defaults.clearDelay ?? config.clearDelay,
      latching: own.latching ?? config.latching,
      suppressDuringDischarge: config.suppress.duringDischarge.includes(name),
      suppressAfterMeasurement: config.suppress.afterResistanceMeasurement.alarms.includes(name),
    };
  }

  private defineRules(): void {
    const add = (name: EventName, unit: string, test: Rule["test"], note?: Rule["note"]) => {
      const def = eventByName(name);
      this.rules.push({
        index: this.rules.length,
        def,
        scope: def.scope,
        unit,
        ...this.ruleSettings(name),
        tracked: 0,
        test,
        ...(note ? { note } : {}),
      });
    };
    const bt = (row: number) => this.blockThresholds[row] as EffectiveThresholds;
    const st = (row: number) => this.stringThresholds[row] as EffectiveThresholds;
    const good = (point: PointId, row: number) => this.model.quality(point, row) === Q_GOOD;
    const read = (point: PointId, row: number) => this.model.read(point, row);
    /**
     * A level test on one point: `limit` and `deadband` pick from the thresholds of the row (two functions rather
     * than one returning a pair: this runs for every block at every commit, and the pairs were garbage).
     */
    const level = (
      point: PointId,
      direction: "high" | "low",
      thresholds: (row: number) => EffectiveThresholds,
      limit: (t: EffectiveThresholds) => number,
      deadband: (t: EffectiveThresholds) => number,
    ): Rule["test"] => {
      const compare = direction === "high" ? high : low;
      return (row, active, out) => {
        if (!good(point, row)) return UNKNOWN;
        const t = thresholds(row);
        out.value = read(point, row);
        out.threshold = limit(t);
        return compare(out.value, out.threshold, deadband(t), active);
      };
    };
    /** A level test against one limit of a threshold group, with the group's deadband. */
    const banded = <G extends BandedGroup>(
      point: PointId,
      direction: "high" | "low",
      thresholds: (row: number) => EffectiveThresholds,
      group: G,
      limit: keyof EffectiveThresholds[G],
    ): Rule["test"] =>
      level(
        point,
        direction,
        thresholds,
        (t) => t[group][limit] as number,
        (t) => t[group].deadband,
      );
    const flag = (point: PointId, when: (v: number) => boolean): Rule["test"] => {
      return (row, _active, out) => {
        if (!good(point, row)) return UNKNOWN;
        out.value = read(point, row);
        out.threshold = Number.NaN;
        return when(out.value) ? PRESENT : ABSENT;
      };
    };
    const resistancePercent = (pick: (t: EffectiveThresholds) => number): Rule["test"] => {
      return (row, active, out) => {
        if (!good("block.resistance", row)) return UNKNOWN;
        const t = bt(row);
        const baseline = Number.isFinite(t.resistance.baseline) ? t.resistance.baseline : this.baselines[row];
        if (baseline === undefined || !(baseline > 0)) return UNKNOWN;
        out.value = (read("block.resistance", row) / baseline - 1) * 100;
        out.threshold = pick(t);
        return high(out.value, out.threshold, t.resistance.deadbandPercent, active);
      };
    };
    const v = "block.voltage";
    add("block-voltage-high", "V", banded(v, "high", bt, "blockVoltage", "highWarning"));
    add("block-voltage-high-alarm", "V", banded(v, "high", bt, "blockVoltage", "highAlarm"));
    add("block-voltage-low", "V", banded(v, "low", bt, "blockVoltage", "lowWarning"));
    add("block-voltage-low-alarm", "V", banded(v, "low", bt, "blockVoltage", "lowAlarm"));
    const temp = "block.temperature";
    add("block-temperature-high", "°C", banded(temp, "high", bt, "blockTemperature", "highWarning"));
    add("block-temperature-high-alarm", "°C", banded(temp, "high", bt, "blockTemperature", "highAlarm"));
    add("block-temperature-low", "°C", banded(temp, "low", bt, "blockTemperature", "low"));
    add("block-ambient-difference", "°C", (row, active, out) => {
      if (!good(temp, row) || !good("system.ambientTemperature", 0)) return UNKNOWN;
      const t = bt(row);
      out.value = read(temp, row) - read("system.ambientTemperature", 0);
      out.threshold = t.ambientDifference.high;
      return high(out.value, out.threshold, t.ambientDifference.deadband, active);
    });
    add(
      "block-resistance-high",
      "mΩ",
      level(
        "block.resistance",
        "high",
        bt,
        (t) => t.resistance.absolute,
        (t) => t.resistance.absolute * 0.05,
      ),
    );
    add(
      "block-resistance-baseline-warning",
      "%",
      resistancePercent((t) => t.resistance.baselineWarningPercent),
    );
    add(
      "block-resistance-baseline-alarm",
      "%",
      resistancePercent((t) => t.resistance.baselineAlarmPercent),
    );
    add(
      "equalization-failed",
      "",
      flag("block.equalization", (x) => x === 2),
    );
    add("thermal-runaway", "°C", (row, active, out) => {
      const s = this.blockString[row] ?? 0;
      if (!good(temp, row) || !good("system.ambientTemperature", 0) || !good("string.current", s)) return UNKNOWN;
      const t = bt(row).thermalRunaway;
      // Only in float (or when no charge state is derived): a rising current in boost charge is expected.
      const state = good("string.chargeState", s) ? read("string.chargeState", s) : 0;
      if (state !== 0 && state !== 1) return ABSENT;
      out.value = read(temp, row) - read("system.ambientTemperature", 0);
      out.threshold = t.aboveAmbient;
      const current = read("string.current", s);
      const hot = high(out.value, t.aboveAmbient, t.deadband, active);
      const rising = high(current, t.floatCurrent, t.floatCurrent * 0.2, active);
      return hot === PRESENT && rising === PRESENT ? PRESENT : ABSENT;
    });
    add("probe-comm-lost", "", (row) => (this.blockComm[row] === 1 ? PRESENT : ABSENT));
    add("probe-identity-mismatch", "", (row) => (this.blockComm[row] === 2 ? PRESENT : ABSENT));
    // string rules; discharge first, so suppression during discharge sees this commit's state
    add("discharge", "A", (row, active, out) => {
      if (!good("string.current", row)) return UNKNOWN;
      const t = st(row).discharge;
      out.value = read("string.current", row);
      out.threshold = -t.current;
      return low(out.value, -t.current, t.deadband, active);
    });
    add("string-voltage-high", "V", banded("string.voltage", "high", st, "stringVoltage", "high"));
    add("string-voltage-low", "V", banded("string.voltage", "low", st, "stringVoltage", "low"));
    add("string-voltage-imbalance", "V", (row, active, out) => {
      if (!good("string.blockVoltageMax", row) || !good("string.blockVoltageMin", row)) return UNKNOWN;
      const t = st(row).imbalance;
      out.value = read("string.blockVoltageMax", row) - read("string.blockVoltageMin", row);
      out.threshold = t.high;
      return high(out.value, t.high, t.deadband, active);
    });
    add("string-soc-low", "%", banded("string.soc", "low", st, "soc", "low"));
    add("string-current-high", "A", (row, active, out) => {
      if (!good("string.current", row)) return UNKNOWN;
      const t = st(row).current;
      out.value = Math.abs(read("string.current", row));
      out.threshold = t.high;
      return high(out.value, t.high, t.deadband, active);
    });
    add(
      "load-disconnect-prealarm",
      "V",
      banded("string.blockVoltageMin", "low", st, "blockVoltage", "loadDisconnectPrealarm"),
    );
    add(
      "load-disconnect-tripped",
      "",
      flag("string.loadDisconnect", (x) => x === 0),
    );
    add(
      "charge-disconnect-tripped",
      "",
      flag("string.chargeDisconnect", (x) => x === 0),
    );
    add("string-sensor-comm-lost", "", (row) => (this.stringSensorLost[row] === 1 ? PRESENT : ABSENT));
    add("environment-sensor-comm-lost", "", () => (this.environmentLost ? PRESENT : ABSENT));
    add(
      "system-fault",
      "",
      () => (this.failedComponents.size > 0 ? PRESENT : ABSENT),
      () => [...this.failedComponents].map(([name, text]) => `${name}${text ? ` (${text})` : ""}`).join(", "),
    );
  }

  /** The deriver body: evaluates this commit; returns true when the alarm list changed. */
  evaluate(model: WorkingModel, dirtyStrings: ReadonlySet<number>, changes: readonly PointChange[]): boolean {
    this.model = model;
    const now = this.now();
    const dirty = new Set(dirtyStrings);
    const measurement = this.config.suppress.afterResistanceMeasurement.duration;
    let all = this.firstRun;
    this.firstRun = false;
    for (const c of changes) {
      if (c.scope === "system") all = true;
      else if (c.scope === "string") dirty.add(c.row);
      else if (c.point === "block.resistance" && c.previousQuality === "good" && c.quality === "good") {
        // A changed resistance is a new measurement: its test current disturbs voltages for a while.
        const s = this.blockString[c.row] ?? 0;
        this.suppressUntil[s] = now + measurement;
      }
    }
    if (all) for (const s of this.topology.strings) dirty.add(s.index);
    this.readDevices(model);
    this.learnBaselines(dirty);

    const out: Reading = { value: Number.NaN, threshold: Number.NaN };
    const stringRules = this.rules.filter((r) => r.enabled && r.scope === "string");
    for (const rule of stringRules)
      for (let row = 0; row < this.topology.strings.length; row++) this.step(rule, row, now, out);
    for (let s = 0; s < this.topology.strings.length; s++) {
      const t = this.tracks.get(this.key(this.ruleByName("discharge"), s));
      this.dischargeActive[s] = t && t.phase !== "pending-raise" ? 1 : 0;
    }
    const system = this.rules.filter((r) => r.enabled && r.scope === "system");
    for (const rule of system) this.step(rule, 0, now, out);

    const blockRules = this.rules.filter((r) => r.enabled && r.scope === "block" && !isDeviceRule(r));
    for (const index of dirty) {
      const s = this.topology.strings[index];
      if (!s) continue;
      for (let row = s.firstBlockRow; row < s.firstBlockRow + s.blockCount; row++)
        for (const rule of blockRules) this.step(rule, row, now, out);
    }
    // Tracks of strings that did not change still need their delays to run out.
    for (const track of [...this.tracks.values()])
      if (track.rule.scope === "block" && !isDeviceRule(track.rule) && !dirty.has(this.blockString[track.row] ?? -1))
        this.step(track.rule, track.row, now, out);
    for (const rule of this.rules.filter((r) => r.enabled && isDeviceRule(r))) {
      const code = rule.def.name === "probe-comm-lost" ? 1 : 2;
      for (let row = 0; row < this.blockComm.length; row++)
        if (this.blockComm[row] === code) this.step(rule, row, now, out);
      for (const track of [...this.tracks.values()])
        if (track.rule === rule && this.blockComm[track.row] !== code) this.step(rule, track.row, now, out);
    }

    if (this.baselinesLearned) {
      this.baselinesLearned = false;
      this.options.onBaselinesLearned?.(this.baselines);
    }
    if (!this.changed) return false;
    this.changed = false;
    this.list = [...this.tracks.values()].flatMap((t) => (t.alarm ? [t.alarm] : [])).sort((a, b) => a.id - b.id);
    return true;
  }

  /** Active alarms, oldest first. */
  active(): readonly ActiveAlarm[] {
    return this.list;
  }

  summary(): AlarmSummary {
    const counts = { critical: 0, warning: 0, info: 0, unacknowledged: 0 };
    const byString: Record<string, number> = {};
    for (const a of this.list) {
      counts[a.severity]++;
      if (!a.acknowledgedAt) counts.unacknowledged++;
      if (a.stringId !== undefined) byString[String(a.stringId)] = (byString[String(a.stringId)] ?? 0) + 1;
    }
    return { ...counts, byString };
  }

  /**
   * Acknowledges one alarm (by its occurrence id) or all; a latched alarm whose condition is gone clears now.
   * Returns the alarms acknowledged by this call.
   */
  acknowledge(target: number | "all", user: string): ActiveAlarm[] {
    const now = this.now();
    const done: ActiveAlarm[] = [];
    for (const track of [...this.tracks.values()]) {
      const alarm = track.alarm;
      if (!alarm || alarm.acknowledgedAt !== undefined || (target !== "all" && alarm.id !== target)) continue;
      track.alarm = { ...alarm, acknowledgedAt: now, acknowledgedBy: user };
      done.push(track.alarm);
      this.options.emit(
        this.record(track, "alarm-acknowledged", now, `${alarm.text} — acknowledged by ${user}`, { user }),
      );
      if (track.phase === "latched") this.clear(track, now);
    }
    if (done.length > 0)
      this.list = [...this.tracks.values()].flatMap((t) => (t.alarm ? [t.alarm] : [])).sort((a, b) => a.id - b.id);
    return done;
  }

  /** True when `id` is an active alarm (acknowledged or not). */
  has(id: number): boolean {
    return this.list.some((a) => a.id === id);
  }

  private ruleByName(name: EventName): Rule {
    return this.rules.find((r) => r.def.name === name) as Rule;
  }

  private key(rule: Rule, row: number): number {
    return rule.index * ROW_SPAN + row;
  }

  private step(rule: Rule, row: number, now: number, out: Reading): void {
    const key = this.key(rule, row);
    let track = rule.tracked > 0 ? this.tracks.get(key) : undefined;
    const active = track !== undefined && track.phase !== "pending-raise";
    out.value = Number.NaN;
    out.threshold = Number.NaN;
    const verdict = rule.test(row, active, out);
    if (verdict === UNKNOWN) return;
    if (!track) {
      if (verdict === ABSENT || this.suppressed(rule, row, now)) return;
      track = { rule, row, phase: "pending-raise", since: now };
      this.tracks.set(key, track);
      rule.tracked++;
    }
    switch (track.phase) {
      case "pending-raise":
        if (verdict === ABSENT || this.suppressed(rule, row, now)) {
          this.drop(track);
          return;
        }
        if (now - track.since >= rule.raiseDelay) this.raise(track, now, out);
        return;
      case "raised":
        if (verdict === PRESENT) return;
        track.phase = "pending-clear";
        track.since = now;
        if (rule.clearDelay <= 0) this.finishClear(track, now);
        return;
      case "pending-clear":
        if (verdict === PRESENT) {
          track.phase = "raised";
          return;
        }
        if (now - track.since >= rule.clearDelay) this.finishClear(track, now);
        return;
      case "latched":
        if (verdict === PRESENT && track.alarm) {
          track.phase = "raised";
          track.alarm = { ...track.alarm, latched: false };
          this.changed = true;
        }
        return;
    }
  }

  private suppressed(rule: Rule, row: number, now: number): boolean {
    if (!rule.suppressDuringDischarge && !rule.suppressAfterMeasurement) return false;
    const s = rule.scope === "block" ? (this.blockString[row] ?? 0) : rule.scope === "string" ? row : -1;
    if (s < 0) return false;
    if (rule.suppressDuringDischarge && this.dischargeActive[s] === 1) return true;
    return rule.suppressAfterMeasurement && now < (this.suppressUntil[s] ?? 0);
  }

  private raise(track: Track, now: number, out: Reading): void {
    const { rule } = track;
    const where = this.where(rule, track.row);
    const measured = Number.isFinite(out.value)
      ? ` (${fmt(out.value)}${rule.unit ? ` ${rule.unit}` : ""}${Number.isFinite(out.threshold) ? `, limit ${fmt(out.threshold)}${rule.unit ? ` ${rule.unit}` : ""}` : ""})`
      : "";
    const note = rule.note?.();
    const alarm: ActiveAlarm = {
      id: this.nextAlarmId++,
      eventId: rule.def.eventId,
      name: rule.def.name,
      severity: rule.def.severity,
      ...(where.stringId !== undefined ? { stringId: where.stringId } : {}),
      ...(where.block !== undefined ? { block: where.block } : {}),
      raisedAt: now,
      ...(Number.isFinite(out.value) ? { value: round(out.value) } : {}),
      ...(Number.isFinite(out.threshold) ? { threshold: round(out.threshold) } : {}),
      text: `${where.label}: ${rule.def.description.replace(/\.$/, "")}${measured}${note ? `: ${note}` : ""}`,
    };
    track.phase = "raised";
    track.alarm = alarm;
    this.changed = true;
    this.options.emit(this.record(track, "alarm-raised", now, alarm.text));
  }

  private finishClear(track: Track, now: number): void {
    const alarm = track.alarm;
    if (track.rule.latching && alarm && alarm.acknowledgedAt === undefined) {
      track.phase = "latched";
      track.alarm = { ...alarm, latched: true };
      this.changed = true;
      return;
    }
    this.clear(track, now);
  }

  private clear(track: Track, now: number): void {
    const text = `${this.where(track.rule, track.row).label}: ${track.rule.def.name} cleared`;
    this.options.emit(this.record(track, "alarm-cleared", now, text));
    this.drop(track);
    this.changed = true;
  }

  private drop(track: Track): void {
    if (this.tracks.delete(this.key(track.rule, track.row))) track.rule.tracked--;
  }

  private record(
    track: Track,
    kind: EventRecord["kind"],
    time: number,
    text: string,
    extra: Partial<EventRecord> = {},
  ): EventRecord {
    const { rule } = track;
    const where = this.where(rule, track.row);
    const alarm = track.alarm;
    return {
      seq: 0,
      time,
      kind,
      eventId: rule.def.eventId,
      name: rule.def.name,
      severity: rule.def.severity,
      ...(where.stringId !== undefined ? { stringId: where.stringId } : {}),
      ...(where.block !== undefined ? { block: where.block } : {}),
      ...(alarm?.value !== undefined ? { value: alarm.value } : {}),
      ...(alarm?.threshold !== undefined ? { threshold: alarm.threshold } : {}),
      ...(alarm ? { detail: { alarm: String(alarm.id) } } : {}),
      text,
      ...extra,
    };
  }

  private where(rule: Rule, row: number): { stringId?: number; block?: number; label: string } {
    if (rule.scope === "system") return { label: "System" };
    if (rule.scope === "string") {
      const s = this.topology.strings[row] as StringInfo;
      return { stringId: s.id, label: `String ${s.id}` };
    }
    const s = this.topology.strings[this.blockString[row] ?? 0] as StringInfo;
    const block = row - s.firstBlockRow + 1;
    return { stringId: s.id, block, label: `String ${s.id} block ${block}` };
  }

  private readDevices(model: WorkingModel): void {
    this.blockComm.fill(0);
    this.stringSensorLost.fill(0);
    this.environmentLost = false;
    for (const device of this.topology.devices) {
      const state = model.device(device.index);
      const role = device.role;
      if (role.kind === "blocks") {
        const mismatch =
          state.comm === "wrong-device" ||
          (device.expectedSerial !== undefined && state.serial !== undefined && state.serial !== device.expectedSerial);
        const code = state.comm === "comm-lost" ? 1 : mismatch ? 2 : 0;
        if (code === 0) continue;
        const s = this.topology.strings[role.stringIndex] as StringInfo;
        const first = s.firstBlockRow + role.firstBlock - 1;
        this.blockComm.fill(code, first, first + role.blockCount);
      } else if (role.kind === "environment") {
        if (state.comm === "comm-lost") this.environmentLost = true;
      } else if (state.comm === "comm-lost") this.stringSensorLost[role.stringIndex] = 1;
    }
  }

  private learnBaselines(dirty: ReadonlySet<number>): void {
    for (const index of dirty) {
      const s = this.topology.strings[index];
      if (!s) continue;
      for (let row = s.firstBlockRow; row < s.firstBlockRow + s.blockCount; row++) {
        if (!Number.isNaN(this.baselines[row] ?? 0)) continue;
        if (this.model.quality("block.resistance", row) !== Q_GOOD) continue;
        const r = this.model.read("block.resistance", row);
        if (r > 0) {
          this.baselines[row] = r;
          this.baselinesLearned = true;
        }
      }
    }
  }
}

function isDeviceRule(rule: Rule): boolean {
  return rule.def.name === "probe-comm-lost" || rule.def.name === "probe-identity-mismatch";
}

export function shapeOf(s: StringInfo): StringShape {
  return {
    id: s.id,
    chemistry: s.chemistry,
    nominalBlockVoltage: s.nominalBlockVoltage,
    blocks: s.blockCount,
    capacityAh: s.capacityAh,
  };
}

function fmt(x: number): string {
  return Math.abs(x) >= 100 ? x.toFixed(1) : x.toFixed(3);
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
