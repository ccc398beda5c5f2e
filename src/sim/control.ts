import { parseDuration } from "../core/config/primitives.js";
import { PROFILES } from "../core/profiles/index.js";
import { parseBlockRef } from "../core/topology.js";
import type { ScenarioStep } from "./config-schema.js";
import type { SimDevice } from "./devices.js";
import type { SimBlock, SimPlant, SimString } from "./physics.js";

export class SimControlError extends Error {}

type Target = { strings: SimString[]; block?: number };

/** Device kinds `offline`/`online` can pick within a string, by the role they play. */
const DEVICE_KINDS: Readonly<Record<string, string>> = { probes: "blocks", sensor: "string-sensor", relay: "relay" };

const USAGE = [
  "set S/B voltage|temperature|resistance VALUE   (VALUE: 11.05, +0.5, -10%, +60%, auto)",
  "set S current VALUE | set all ambient VALUE | set all humidity VALUE",
  "set S/B ageing PERCENT_PER_DAY | set S capacity AH   (ground truth: an ageing block, a faded string)",
  "offline S/B | online S/B                      (the device holding that block)",
  "offline S [probes|sensor|relay] | online S [probes|sensor|relay]   (one kind of device of string S)",
  "fault S/B none|crc [P]|slow [MS]|stuck|wrong-type|unbalanceable|swapped",
  "discharge S|all AMPS [DURATION] | charge S|all AMPS [DURATION] | float S|all | rest S|all",
  "remote S on|off",
  "status [S/B | S]",
].join("\n");

/**
 * Live control of the simulator — the operations behind `bmsgw sim …`, scenario steps, and later the console and
 * web. Every operation validates its target and answers with a one-line description of what it did.
 */
export class SimControl {
  constructor(
    private readonly plant: SimPlant,
    private readonly devices: readonly SimDevice[],
  ) {}

  static usage(): string {
    return USAGE;
  }

  private target(text: string): Target {
    if (text === "all") return { strings: this.plant.strings };
    const ref = parseBlockRef(text);
    const id = ref ? ref.stringId : Number(text);
    const s = this.plant.strings.find((x) => x.info.id === id);
    if (!s || !Number.isInteger(id)) throw new SimControlError(`no string ${text.split("/")[0]}`);
    if (!ref) return { strings: [s] };
    if (ref.block < 1 || ref.block > s.info.blockCount)
      throw new SimControlError(`string ${id} has blocks 1..${s.info.blockCount}, not ${ref.block}`);
    return { strings: [s], block: ref.block };
  }

  private blocks(t: Target): SimBlock[] {
    return this.blockRefs(t).map(([, , b]) => b);
  }

  private blockRefs(t: Target): [SimString, number, SimBlock][] {
    return t.strings.flatMap((s) =>
      s.blocks
        .map((b, i) => [s, i, b] as [SimString, number, SimBlock])
        .filter(([, i]) => t.block === undefined || i === t.block - 1),
    );
  }

  /** Devices that hold the target: for S/B the one probe or master with that block; for S every device of it. */
  private devicesOf(t: Target): SimDevice[] {
    return this.devices.filter((d) => {
      const role = d.info.role;
      if (role.kind === "environment") return t.block === undefined && t.strings.length === this.plant.strings.length;
      const s = this.plant.strings[role.stringIndex];
      if (!s || !t.strings.includes(s)) return false;
      if (t.block === undefined) return true;
      return role.kind === "blocks" && t.block >= role.firstBlock && t.block < role.firstBlock + role.blockCount;
    });
  }

  /** Runs one command given as words, e.g. ["set", "1/17", "voltage", "11.05"]. */
  execute(words: readonly string[]): string {
    const [verb, target, ...rest] = words;
    this.plant.advance();
    switch (verb) {
      case "set":
        return this.set(need(target, "target"), need(rest[0], "point"), need(rest[1], "value"));
      case "offline":
      case "online": {
        const kind = rest[0];
        if (kind !== undefined && !Object.hasOwn(DEVICE_KINDS, kind))
          throw new SimControlError(`unknown device kind "${kind}": probes, sensor or relay`);
        // A kind picks one device of the string, e.g. "offline 1 relay": the relay module goes silent.
        const devices = this.devicesOf(this.target(need(target, "target"))).filter(
          (d) => kind === undefined || d.info.role.kind === DEVICE_KINDS[kind],
        );
        for (const d of devices) d.faults.offline = verb === "offline";
        return `${devices.length} device(s) ${verb}`;
      }
      case "fault":
        return this.fault(need(target, "target"), need(rest[0], "fault"), rest[1]);
      case "discharge":
      case "charge": {
        const amps = Number(need(rest[0], "current"));
        if (!(amps > 0)) throw new SimControlError(`current must be a positive number of amperes, not ${rest[0]}`);
        const until = rest[1] === undefined ? undefined : parseDuration(rest[1]);
        if (rest[1] !== undefined && until === undefined) throw new SimControlError(`bad duration ${rest[1]}`);
        return this.mode(need(target, "target"), verb, amps, until);
      }
      case "float":
      case "rest":
        return this.mode(need(target, "target"), verb, 0);
      case "remote": {
        const t = this.target(need(target, "target"));
        const on = need(rest[0], "on|off");
        if (on !== "on" && on !== "off") throw new SimControlError("remote takes on or off");
        for (const s of t.strings) {
          s.remoteOn = on === "on";
        }
        return `remote input ${on} on ${t.strings.length} string(s)`;
      }
      case "status":
        return JSON.stringify(this.status(target));
      default:
        throw new SimControlError(`unknown simulator command "${verb ?? ""}"\n${USAGE}`);
    }
  }

  private set(targetText: string, point: string, valueText: string): string {
    const t = this.target(targetText);
    const apply = (current: number) => applyChange(current, valueText);
    switch (point) {
      case "voltage":
        for (const [s, i, b] of this.blockRefs(t)) {
          if (valueText === "auto") delete b.voltageOverride;
          else if (/^[+-]/.test(valueText)) {
            const v = this.plant.blockVoltage(s, i);
            b.floatOffset += apply(v) - v;
            b.ocvOffset += apply(v) - v;
          } else b.voltageOverride = apply(0);
        }
        break;
      case "temperature":
        for (const [s, i, b] of this.blockRefs(t)) {
          if (valueText === "auto") delete b.temperatureOverride;
          else if (/^[+-]/.test(valueText)) {
            const v = this.plant.blockTemperature(s, i);
            b.temperatureOffset += apply(v) - v;
          } else b.temperatureOverride = apply(0);
        }
        break;
      case "resistance":
        for (const b of this.blocks(t)) {
          b.resistance = apply(b.resistance);
          b.measuredResistance = b.resistance;
        }
        break;
      case "current":
        for (const s of t.strings) {
          if (valueText === "auto") delete s.currentOverride;
          else s.currentOverride = apply(this.plant.current(s));
        }
        break;
      case "ambient":
        this.plant.ambient = apply(this.plant.ambient);
        break;
      case "ageing":
        // % of resistance growth per plant day, e.g. "set 1/3 ageing 50".
        for (const b of this.blocks(t)) b.ageingPerDay = apply(b.ageingPerDay * 100) / 100;
        break;
      case "capacity":
        for (const s of t.strings) {
          s.capacityAh = apply(s.capacityAh);
          s.chargeAh = Math.min(s.chargeAh, s.capacityAh);
        }
        break;
      case "humidity":
        this.plant.humidity = apply(this.plant.humidity);
        break;
      default:
        throw new SimControlError(
          `cannot set "${point}": use voltage, temperature, resistance, ageing, current, capacity, ambient or humidity`,
        );
    }
    return `set ${point} ${valueText} on ${t.block !== undefined ? `block ${targetText}` : `${t.strings.length} string(s)`}`;
  }

  private fault(targetText: string, fault: string, arg?: string): string {
    const t = this.target(targetText);
    const devices = this.devicesOf(t);
    switch (fault) {
      case "none":
        for (const d of devices) {
          d.faults.crc = 0;
          d.faults.slowMs = 0;
          delete d.faults.wrongType;
        }
        for (const b of this.blocks(t)) {
          delete b.stuck;
          b.unbalanceable = false;
        }
        break;
      case "crc": {
        const p = arg === undefined ? 1 : Number(arg);
        if (!(p >= 0 && p <= 1)) throw new SimControlError("crc probability must be between 0 and 1");
        for (const d of devices) d.faults.crc = p;
        break;
      }
      case "slow": {
        const ms = arg === undefined ? 500 : parseDuration(arg);
        if (ms === undefined) throw new SimControlError(`bad delay ${arg}`);
        for (const d of devices) d.faults.slowMs = ms;
        break;
      }
      case "stuck":
        t.strings.forEach((s) => {
          const indexes = t.block !== undefined ? [t.block - 1] : s.blocks.map((_, i) => i);
          for (const i of indexes) {
            const b = s.blocks[i] as SimBlock;
            b.stuck = {
              voltage: this.plant.blockVoltage(s, i),
              temperature: this.plant.blockTemperature(s, i),
              resistance: this.plant.blockResistance(s, i),
            };
          }
        });
        break;
      case "wrong-type":
        for (const d of devices)
          d.faults.wrongType = PROFILES.find((p) => p.id !== d.info.profile.id)?.typeCode ?? 0xffff;
        break;
      case "unbalanceable":
        for (const b of this.blocks(t)) b.unbalanceable = true;
        break;
      case "swapped":
        // Another unit of the same type now answers at this address: a new serial, persistent like a real swap.
        for (const b of this.blocks(t)) b.serial += 1_000_000;
        break;
      default:
        throw new SimControlError(
          `unknown fault "${fault}": none, crc, slow, stuck, wrong-type, unbalanceable, swapped`,
        );
    }
    return `fault ${fault} on ${targetText}`;
  }

  private mode(targetText: string, mode: SimString["mode"], amps: number, durationMs?: number): string {
    const t = this.target(targetText);
    const now = Date.now();
    for (const s of t.strings) {
      if (mode === "discharge" && s.mode !== "discharge") s.dischargedAh = 0;
      s.mode = mode;
      s.setCurrent = amps;
      delete s.currentOverride;
      if (durationMs === undefined) delete s.modeUntil;
      else s.modeUntil = now + durationMs / this.plant.timeScale;
    }
    return `${mode}${amps ? ` at ${amps} A` : ""} on ${t.strings.length} string(s)`;
  }

  /** Ground truth for tests and the console: what the simulator itself holds. */
  status(targetText?: string): unknown {
    const p = this.plant;
    const strings =
      targetText && targetText !== "all" ? this.target(targetText.split("/")[0] ?? "").strings : p.strings;
    const ref = targetText ? parseBlockRef(targetText) : undefined;
    return strings.map((s) => ({
      string: s.info.id,
      mode: s.mode,
      current: round(p.current(s), 3),
      soc: round(p.soc(s) * 100, 2),
      chargeAh: round(s.chargeAh, 4),
      capacityAh: round(s.capacityAh, 4),
      dischargedAh: round(s.dischargedAh, 4),
      voltage: round(p.stringVoltage(s), 3),
      relays: { load: s.loadRelay, charge: s.chargeRelay, remote: s.remoteOn },
      ...(ref
        ? {
            block: {
              number: ref.block,
              voltage: round(p.blockVoltage(s, ref.block - 1), 4),
              temperature: round(p.blockTemperature(s, ref.block - 1), 2),
              resistance: round(s.blocks[ref.block - 1]?.resistance ?? 0, 4),
              equalizing: s.blocks[ref.block - 1]?.equalizing ?? false,
            },
          }
        : {}),
    }));
  }

  /** Applies a configured scenario step. */
  step(step: ScenarioStep): string {
    return this.execute(stepToWords(step));
  }
}

/** A scenario step as the words of the equivalent `bmsgw sim` command. */
export function stepToWords(step: ScenarioStep): string[] {
  switch (step.action) {
    case "set":
      return ["set", step.target, step.point, String(step.value)];
    case "offline":
    case "online":
    case "float":
    case "rest":
      return [step.action, step.target];
    case "fault":
      return [
        "fault",
        step.target,
        step.fault,
        ...(step.fault === "crc" ? [String(step.probability)] : step.fault === "slow" ? [`${step.delay}ms`] : []),
      ];
    case "discharge":
    case "charge":
      return [
        step.action,
        step.target,
        String(step.current),
        ...(step.duration !== undefined ? [`${step.duration}ms`] : []),
      ];
    case "remote":
      return ["remote", step.target, step.on ? "on" : "off"];
  }
}

function need(value: string | undefined, what: string): string {
  if (value === undefined || value === "") throw new SimControlError(`missing ${what}\n${USAGE}`);
  return value;
}

/** "11.05" → 11.05; "+0.5" → current + 0.5; "+60%" → current × 1.6. */
export function applyChange(current: number, text: string): number {
  const m = /^([+-])?(\d+(?:\.\d+)?)(%)?$/.exec(text.trim());
  if (!m) throw new SimControlError(`bad value "${text}": use 11.05, +0.5, -10% or +60%`);
  const n = Number(m[2]);
  if (!m[1]) {
    if (m[3]) throw new SimControlError(`a percentage needs a sign: +${text}`);
    return n;
  }
  const sign = m[1] === "-" ? -1 : 1;
  return m[3] ? current * (1 + (sign * n) / 100) : current + sign * n;
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
