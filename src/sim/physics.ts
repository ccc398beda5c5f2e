import type { Chemistry } from "../core/config/core-schema.js";
import type { PlantTopology, StringInfo } from "../core/topology.js";
import type { SimulatorConfig } from "./config-schema.js";

/** Per-cell voltages of each chemistry: float, boost charge, and open-circuit voltage from empty to full. */
const CELL: Record<Chemistry, { nominal: number; float: number; charge: number; ocvEmpty: number; ocvFull: number }> = {
  vrla: { nominal: 2, float: 2.25, charge: 2.35, ocvEmpty: 1.98, ocvFull: 2.13 },
  vla: { nominal: 2, float: 2.23, charge: 2.33, ocvEmpty: 1.98, ocvFull: 2.12 },
  lifepo4: { nominal: 3.2, float: 3.375, charge: 3.45, ocvEmpty: 3.0, ocvFull: 3.34 },
  nicd: { nominal: 1.2, float: 1.4, charge: 1.45, ocvEmpty: 1.15, ocvFull: 1.3 },
};

export type StringMode = "float" | "charge" | "discharge" | "rest";

export interface SimBlock {
  /** Deviation from the string's float voltage share, V; equalization bleeds it off. */
  floatOffset: number;
  /** Deviation of the open-circuit voltage, V. */
  ocvOffset: number;
  temperatureOffset: number;
  /** True internal resistance, mΩ. */
  resistance: number;
  /** Extra resistance growth per plant day (0.02 = +2 %/day) on top of normal ageing: an ageing block. */
  ageingPerDay: number;
  /** Resistance as last measured by the probe, mΩ. */
  measuredResistance: number;
  measuringUntil: number;
  equalizing: boolean;
  /** The bypass has no effect (a failed balancer); for testing equalization failure. */
  unbalanceable: boolean;
  voltageOverride?: number;
  temperatureOverride?: number;
  /** Frozen register values (a stuck probe). */
  stuck?: { voltage: number; temperature: number; resistance: number };
  /** Changes only when a test swaps the probe (`fault S/B swapped`). */
  serial: number;
}

export interface SimString {
  readonly info: StringInfo;
  mode: StringMode;
  /** Magnitude of the charge/discharge current, A. */
  setCurrent: number;
  /** When the current charge/discharge ends (ms since epoch), then back to float. */
  modeUntil?: number;
  currentOverride?: number;
  /** Ground truth: charge held, Ah. */
  chargeAh: number;
  /** Ground truth: the string's real capacity, Ah (starts at the nominal; lower for a faded battery). */
  capacityAh: number;
  /** Ground truth: Ah removed since the last discharge started. */
  dischargedAh: number;
  remoteOn: boolean;
  loadRelay: boolean;
  chargeRelay: boolean;
  readonly blocks: SimBlock[];
}

/** Small deterministic PRNG (mulberry32) so runs with one seed are repeatable. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Bypass equalization pulls a block's float offset down at this rate (V/s); fast so scenarios finish in seconds. */
const EQUALIZE_RATE_V_PER_S = 0.02;
/** Float current per 100 Ah of capacity, A. */
const FLOAT_CURRENT_PER_100AH = 0.15;

/**
 * The simulated plant: believable physics for float, charge, discharge and rest, per-block spread, temperature
 * drift, resistance ageing and equalization. State advances lazily on each read.
 */
export class SimPlant {
  readonly strings: SimString[];
  ambient: number;
  humidity = 45;
  /** Plant seconds per wall second (`simulator.timeScale`). */
  readonly timeScale: number;
  private last: number;
  private noise: () => number;
  private noiseSeed: number;

  constructor(topology: PlantTopology, config: SimulatorConfig, now = Date.now()) {
    const random = prng(config.seed);
    this.ambient = config.ambientTemperature;
    this.timeScale = config.timeScale;
    this.noiseSeed = config.seed;
    this.noise = prng(config.seed ^ 0x5eed);
    this.last = now;
    this.strings = topology.strings.map((info) => {
      const cells = info.nominalBlockVoltage / CELL[info.chemistry].nominal;
      const baseResistance = (5 * 100 * (info.nominalBlockVoltage / 12)) / info.capacityAh;
      const blocks: SimBlock[] = [];
      for (let b = 0; b < info.blockCount; b++) {
        const r = baseResistance * (0.95 + 0.1 * random());
        blocks.push({
          floatOffset: (random() - 0.5) * 0.02 * cells,
          ocvOffset: (random() - 0.5) * 0.004 * cells,
          temperatureOffset: random() * 1.5,
          resistance: r,
          ageingPerDay: 0,
          measuredResistance: r,
          measuringUntil: 0,
          equalizing: false,
          unbalanceable: false,
          serial: 100000 + info.id * 1000 + b + 1,
        });
      }
      return {
        info,
        mode: config.mode,
        setCurrent: 0,
        chargeAh: (info.capacityAh * config.initialSoc) / 100,
        capacityAh: info.capacityAh,
        dischargedAh: 0,
        remoteOn: true,
        loadRelay: true,
        chargeRelay: true,
        blocks,
      };
    });
  }

  cells(s: SimString): number {
    return s.info.nominalBlockVoltage / CELL[s.info.chemistry].nominal;
  }

  soc(s: SimString): number {
    return Math.min(1, Math.max(0, s.chargeAh / s.capacityAh));
  }

  /** String current, A; positive charges. */
  current(s: SimString): number {
    if (s.currentOverride !== undefined) return s.currentOverride;
    switch (s.mode) {
      case "float":
        return s.chargeRelay ? (FLOAT_CURRENT_PER_100AH * s.info.capacityAh) / 100 : 0;
      case "charge":
        return s.chargeRelay ? s.setCurrent : 0;
      case "discharge":
        return s.loadRelay ? -s.setCurrent : 0;
      case "rest":
        return 0;
    }
  }

  /** Integrates charge, ageing, equalization and mode timeouts up to `now`. */
  advance(now = Date.now()): void {
    // Plant seconds: `timeScale` × wall seconds, so a full discharge/recharge cycle runs in seconds of test time.
    // Steps under 50 plant-ms are skipped (reads come in bursts); the step is in plant time so that an accelerated
    // plant does not integrate a skipped stretch with the next mode's current.
    const dt = ((now - this.last) / 1000) * this.timeScale;
    if (dt < 0.05) return;
    this.last = now;
    for (const s of this.strings) {
      if (s.modeUntil !== undefined && now >= s.modeUntil) {
        s.mode = "float";
        s.modeUntil = undefined;
      }
      const current = this.current(s);
      const dAh = (current * dt) / 3600;
      s.chargeAh = Math.min(s.capacityAh, Math.max(0, s.chargeAh + dAh));
      if (current < 0) s.dischargedAh += -dAh;
      if (s.mode === "charge" && s.chargeAh >= s.capacityAh) s.mode = "float";
      const floating = s.mode === "float";
      for (const b of s.blocks) {
        b.resistance *= 1 + 1e-9 * dt + (b.ageingPerDay * dt) / 86_400; // slow ageing: about 3 % a year
        if (b.equalizing && floating && !b.unbalanceable) b.floatOffset -= EQUALIZE_RATE_V_PER_S * dt;
      }
    }
    this.noise = prng(this.noiseSeed++);
  }

  blockVoltage(s: SimString, index: number): number {
    const b = s.blocks[index] as SimBlock;
    if (b.stuck) return b.stuck.voltage;
    if (b.voltageOverride !== undefined) return b.voltageOverride;
    const cell = CELL[s.info.chemistry];
    const cells = this.cells(s);
    const soc = this.soc(s);
    const ocv = cells * (cell.ocvEmpty + (cell.ocvFull - cell.ocvEmpty) * soc) + b.ocvOffset;
    const current = this.current(s);
    let v: number;
    if (s.mode === "float" && s.chargeRelay) v = cells * cell.float + b.floatOffset;
    else if (s.mode === "charge" && s.chargeRelay)
      v = Math.min(cells * cell.charge, ocv + (current * b.resistance) / 1000 + 0.1 * cells);
    else {
      // Under load: ohmic drop plus a knee as the block empties.
      const knee = soc < 0.1 ? (0.1 - soc) * 3 * cells * 0.1 : 0;
      // Fully drained under load the voltage collapses (0.2 V per cell): the end of a capacity discharge.
      const collapse = current < 0 && s.chargeAh <= 0 ? 0.2 * cells : 0;
      v = ocv + (current * b.resistance) / 1000 - knee - collapse;
    }
    return Math.max(0, v + (this.noise() - 0.5) * 0.002);
  }

  blockTemperature(s: SimString, index: number): number {
    const b = s.blocks[index] as SimBlock;
    if (b.stuck) return b.stuck.temperature;
    if (b.temperatureOverride !== undefined) return b.temperatureOverride;
    const i = this.current(s);
    const heating = (i * i * b.resistance) / 1000 / 20; // W to °C over a rough thermal resistance
    return this.ambient + b.temperatureOffset + heating + (this.noise() - 0.5) * 0.1;
  }

  blockResistance(s: SimString, index: number): number {
    const b = s.blocks[index] as SimBlock;
    return b.stuck ? b.stuck.resistance : b.measuredResistance;
  }

  stringVoltage(s: SimString): number {
    let sum = 0;
    for (let i = 0; i < s.blocks.length; i++) sum += this.blockVoltage(s, i);
    return sum;
  }

  /** Starts a resistance measurement: the probe reports the true value once it completes. */
  measureResistance(s: SimString, index?: number, now = Date.now()): void {
    const targets = index === undefined ? s.blocks : [s.blocks[index] as SimBlock];
    for (const b of targets) {
      b.measuredResistance = b.resistance;
      b.measuringUntil = now + 2000;
    }
  }
}
