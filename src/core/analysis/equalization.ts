import type { PlantSnapshot } from "../model.js";
import { CHARGE_STATES, type EqualizationState } from "../points.js";
import type { PlantTopology, StringInfo } from "../topology.js";
import { type EffectiveEqualization, type EqualizationConfig, resolveEqualization } from "./equalization-config.js";

/**
 * The equalization controller: decides, from one snapshot at a time, which probe bypasses to switch. Pure state, no
 * I/O — the service runs the decisions as commands and reports back with `applied`, so a refused write leaves the
 * state unchanged and is simply tried again on the next snapshot.
 *
 * Per block: off → active when the block is above the string mean by more than the band, in float only;
 * active → off once it is back within the target; active → failed when it is still outside after the timeout
 * (the bypass is switched off and `block.equalization` reads 2, which raises alarm 112); failed → off when the block
 * comes back by itself or after `retryAfter`. Leaving float switches every bypass off at once — never in discharge.
 */

/** Whether a string floats, derived from the analysis charge state when present, else from the string current. */
export type StringMode = "float" | "charge" | "discharge" | "rest" | "unknown";

const DISCHARGE_ALARM = 206;

export function stringMode(snapshot: PlantSnapshot, s: StringInfo, settings: EffectiveEqualization): StringMode {
  const state = snapshot.sample("string.chargeState", s.index);
  if (state.quality === "good" && state.value > 0) {
    const name = CHARGE_STATES[state.value];
    if (name === "float" || name === "charge" || name === "discharge" || name === "rest") return name;
  }
  if (snapshot.alarms.some((a) => a.eventId === DISCHARGE_ALARM && a.stringId === s.id)) return "discharge";
  const current = snapshot.sample("string.current", s.index);
  if (current.quality !== "good") return "unknown";
  if (current.value < -settings.dischargeCurrent) return "discharge";
  if (current.value > settings.chargeCurrent) return "charge";
  return "float";
}

/** One bypass switch the controller wants; `reason` goes into the log. */
export interface EqualizationAction {
  readonly row: number;
  readonly stringId: number;
  readonly block: number;
  readonly on: boolean;
  /** State the block takes once the write succeeded. */
  readonly next: EqualizationState;
  readonly reason: string;
}

/** A block's equalization as reported by `services.equalization`. */
export interface EqualizationBlockStatus {
  readonly stringId: number;
  readonly block: number;
  readonly state: EqualizationState;
  /** When the present state began, ms since the epoch (0 = never changed). */
  readonly since: number;
  /** Time active in the present run (0 unless active), ms. */
  readonly activeMs: number;
  /** Time active over every run since the gateway started, ms. */
  readonly totalActiveMs: number;
  /** Deviation from the string mean at the latest evaluation, V. */
  readonly deviation: number;
}

/** Query interface offered to adapters (console, web, REST). */
export interface EqualizationView {
  /** Every block (or those of one string), in string and block order. */
  blocks(stringId?: number): EqualizationBlockStatus[];
  /** Per string: whether it floats now, so equalization may run. */
  strings(): { stringId: number; enabled: boolean; mode: StringMode; band: number; target: number }[];
}

interface BlockState {
  state: EqualizationState;
  since: number;
  totalActiveMs: number;
  deviation: number;
}

export class EqualizationController implements EqualizationView {
  private readonly settings: EffectiveEqualization[];
  private readonly blocksState: BlockState[];
  private readonly modes: StringMode[];
  /** Rows whose `block.equalization` the gateway overrides with 2 (failed). */
  readonly failedRows = new Set<number>();

  constructor(
    private readonly topology: PlantTopology,
    config: EqualizationConfig,
  ) {
    this.settings = topology.strings.map((s) => resolveEqualization(config, s));
    this.modes = topology.strings.map(() => "unknown");
    this.blocksState = Array.from({ length: topology.blockCount }, () => ({
      state: "off",
      since: 0,
      totalActiveMs: 0,
      deviation: Number.NaN,
    }));
  }

  get anyEnabled(): boolean {
    return this.settings.some((s) => s.enabled);
  }

  /** What to switch now, given this snapshot; call `applied` for every action whose write succeeded. */
  evaluate(snapshot: PlantSnapshot, now: number): EqualizationAction[] {
    const actions: EqualizationAction[] = [];
    for (const s of this.topology.strings) {
      const settings = this.settings[s.index] as EffectiveEqualization;
      if (!settings.enabled) continue;
      const mode = stringMode(snapshot, s, settings);
      this.modes[s.index] = mode;
      const voltage = snapshot.column("block.voltage");
      const bypass = snapshot.column("block.equalization");
      let sum = 0;
      let n = 0;
      for (let row = s.firstBlockRow; row < s.firstBlockRow + s.blockCount; row++)
        if (voltage.quality(row) === 0) {
          sum += voltage.value(row);
          n++;
        }
      const mean = n >= 2 ? sum / n : Number.NaN;
      for (let b = 1; b <= s.blockCount; b++) {
        const row = s.firstBlockRow + b - 1;
        const st = this.blocksState[row] as BlockState;
        const good = voltage.quality(row) === 0 && Number.isFinite(mean);
        st.deviation = good ? voltage.value(row) - mean : Number.NaN;
        const act = (on: boolean, next: EqualizationState, reason: string) =>
          actions.push({ row, stringId: s.id, block: b, on, next, reason });
        const probeOn = bypass.quality(row) === 0 && bypass.value(row) === 1;
        if (mode !== "float") {
          // Never equalize outside float; in discharge also switch off bypasses someone else started.
          if (st.state === "active" || (mode === "discharge" && probeOn))
            act(false, st.state === "failed" ? "failed" : "off", `string ${s.id} left float (${mode})`);
          continue;
        }
        if (!good) continue;
        // A bypass found on (left by an earlier run, or started by hand) is adopted: the same rules end it.
        if (st.state === "off" && probeOn) this.transition(row, "active", now);
        const deviation = st.deviation;
        switch (st.state) {
          case "off":
            if (deviation > settings.band)
              act(true, "active", `${mv(deviation)} above the mean (band ${mv(settings.band)})`);
            break;
          case "active":
            if (deviation <= settings.target) act(false, "off", `back within ${mv(settings.target)} of the mean`);
            else if (now - st.since >= settings.timeout)
              act(
                false,
                "failed",
                `still ${mv(deviation)} above the mean after ${Math.round(settings.timeout / 1000)} s`,
              );
            break;
          case "failed":
            if (deviation <= settings.target) this.transition(row, "off", now);
            else if (now - st.since >= settings.retryAfter) this.transition(row, "off", now);
            break;
        }
      }
    }
    return actions;
  }

  /** Off actions for every bypass this controller has on: the gateway is stopping and no one would end them. */
  switchOffAll(reason: string): EqualizationAction[] {
    const actions: EqualizationAction[] = [];
    for (const s of this.topology.strings)
      for (let b = 1; b <= s.blockCount; b++) {
        const row = s.firstBlockRow + b - 1;
        if (this.blocksState[row]?.state === "active")
          actions.push({ row, stringId: s.id, block: b, on: false, next: "off", reason });
      }
    return actions;
  }

  /** Records that an action's write succeeded. */
  applied(action: EqualizationAction, now: number): void {
    this.transition(action.row, action.next, now);
  }

  private transition(row: number, next: EqualizationState, now: number): void {
    const st = this.blocksState[row] as BlockState;
    if (st.state === next) return;
    if (st.state === "active") st.totalActiveMs += now - st.since;
    st.state = next;
    st.since = now;
    if (next === "failed") this.failedRows.add(row);
    else this.failedRows.delete(row);
  }

  blocks(stringId?: number): EqualizationBlockStatus[] {
    const now = Date.now();
    const out: EqualizationBlockStatus[] = [];
    for (const s of this.topology.strings) {
      if (stringId !== undefined && s.id !== stringId) continue;
      for (let b = 1; b <= s.blockCount; b++) {
        const st = this.blocksState[s.firstBlockRow + b - 1] as BlockState;
        const activeMs = st.state === "active" ? now - st.since : 0;
        out.push({
          stringId: s.id,
          block: b,
          state: st.state,
          since: st.since,
          activeMs,
          totalActiveMs: st.totalActiveMs + activeMs,
          deviation: st.deviation,
        });
      }
    }
    return out;
  }

  strings() {
    return this.topology.strings.map((s) => {
      const settings = this.settings[s.index] as EffectiveEqualization;
      return {
        stringId: s.id,
        enabled: settings.enabled,
        mode: this.modes[s.index] as StringMode,
        band: settings.band,
        target: settings.target,
      };
    });
  }
}

function mv(volts: number): string {
  return `${Math.round(volts * 1000)} mV`;
}
