import type { ChargeState } from "../points.js";

export interface SocSettings {
  readonly chargeEfficiency: number;
  /** Plant ms at rest before OCV correction starts. */
  readonly restAfter: number;
  /** Plant ms in float after which SOC is 100 %. */
  readonly fullChargeAfter: number;
}

export interface SocInput {
  /** Plant time, ms. */
  readonly now: number;
  /** String current, A (positive charges); NaN without a current sensor. */
  readonly current: number;
  readonly state: ChargeState;
  /** Mean cell voltage, V. */
  readonly cellVoltage: number;
  /** Capacity to count against, Ah (measured if known, else nominal). */
  readonly capacityAh: number;
  /** Float only means full once the current has tapered to this (A) or below. */
  readonly taperedCurrent: number;
}

/** SOC (0–100 %) for a rested cell voltage. */
export type OcvLookup = (cellVoltage: number) => number;

function clamp(x: number): number {
  return Math.min(100, Math.max(0, x));
}

/**
 * State of charge of one string. With a current sensor: coulomb counting (charge scaled by the coulombic
 * efficiency), reset to 100 % after `fullChargeAfter` in float with the current tapered to the threshold, and pulled toward the OCV table once the string has
 * rested `restAfter` (time constant `restAfter`). Without one: the OCV table on the cell voltage while discharging or
 * resting (it can only fall while discharging), 100 % after `fullChargeAfter` in float.
 */
export class SocEstimator {
  soc = Number.NaN;
  method: "coulomb" | "voltage" = "voltage";
  private last = Number.NaN;
  private lastCurrent = Number.NaN;
  private taperedSince = Number.NaN;
  private stateSince = Number.NaN;
  private state: ChargeState = "unknown";

  constructor(
    private readonly settings: SocSettings,
    private readonly ocv: OcvLookup,
    /** A SOC remembered from the previous run, used as the starting point. */
    initial?: number,
  ) {
    if (initial !== undefined && Number.isFinite(initial)) this.soc = clamp(initial);
  }

  /** True once the string has rested long enough for OCV to mean something. */
  rested(now: number): boolean {
    return this.state === "rest" && now - this.stateSince >= this.settings.restAfter;
  }

  update(input: SocInput): number {
    const { now, current, state, cellVoltage, capacityAh } = input;
    if (state !== this.state) {
      this.state = state;
      this.stateSince = now;
    }
    if (state !== "float" || !(current <= input.taperedCurrent) || Number.isNaN(this.taperedSince))
      this.taperedSince = now;
    const dtMs = Number.isFinite(this.last) ? Math.max(0, now - this.last) : 0;
    this.last = now;
    const inState = now - this.stateSince;
    const ocvSoc = this.ocv(cellVoltage);
    this.method = Number.isFinite(current) ? "coulomb" : "voltage";
    if (Number.isNaN(this.soc)) {
      // First estimate: a floating string is taken as full; otherwise the voltage table.
      if (state === "float" || state === "charge") this.soc = 100;
      else if (Number.isFinite(ocvSoc)) this.soc = ocvSoc;
      else return this.soc;
    }
    // The previous sample's current held over the interval (left sum, as the discharge records count), so the
    // first sample of a discharge does not take off a whole poll interval it may not have lasted.
    const held = Number.isFinite(this.lastCurrent) ? this.lastCurrent : current;
    this.lastCurrent = current;
    if (this.method === "coulomb") {
      const amps = held > 0 ? held * this.settings.chargeEfficiency : held;
      this.soc = clamp(this.soc + (((amps * dtMs) / 3_600_000) * 100) / capacityAh);
      if (state === "rest" && inState >= this.settings.restAfter && Number.isFinite(ocvSoc)) {
        const k = 1 - Math.exp(-dtMs / Math.max(1, this.settings.restAfter));
        this.soc = clamp(this.soc + (ocvSoc - this.soc) * k);
      }
    } else if ((state === "discharge" || state === "rest") && Number.isFinite(ocvSoc)) {
      this.soc = state === "discharge" || inState < this.settings.restAfter ? Math.min(this.soc, ocvSoc) : ocvSoc;
    }
    const tapered = Number.isFinite(current) ? now - this.taperedSince : inState;
    if (state === "float" && tapered >= this.settings.fullChargeAfter) this.soc = 100;
    return this.soc;
  }
}
