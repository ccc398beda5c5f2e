import type { ChargeState } from "../points.js";
import type { ChemistryData } from "./ocv-tables.js";

export interface ChargeStateInput {
  /** String current, A (positive charges); NaN without a working current sensor. */
  readonly current: number;
  /** Mean cell voltage of the string, V (NaN when no block reads). */
  readonly cellVoltage: number;
  /** |current| above this (A) counts as charging (below float voltage) or discharging. */
  readonly currentThreshold: number;
  /** Charging current (A) that means "charge" even at float voltage. */
  readonly chargeCurrent: number;
  readonly data: ChemistryData;
}

/**
 * Charge state of a string. With a current sensor: discharge below −threshold; charge above the charge current, at
 * boost voltage, or above the threshold below float voltage (bulk); float at float voltage; rest otherwise. Without a current sensor only the
 * voltage can speak: at boost voltage "charge", at float voltage "float", below it "discharge" (a standby string off
 * its charger is carrying the load; rest cannot be told apart without current).
 */
export function classifyChargeState(input: ChargeStateInput): ChargeState {
  const { current, cellVoltage, currentThreshold, chargeCurrent, data } = input;
  if (Number.isFinite(current)) {
    if (current < -currentThreshold) return "discharge";
    if (current > chargeCurrent) return "charge";
    if (!Number.isFinite(cellVoltage)) return current > currentThreshold ? "charge" : "unknown";
    if (cellVoltage >= data.chargeCellVoltage) return "charge";
    // At float voltage a raised current is still float (a recharge tapering off, or thermal runaway, alarm 113).
    if (cellVoltage >= data.floatCellVoltage) return "float";
    return current > currentThreshold ? "charge" : "rest";
  }
  if (!Number.isFinite(cellVoltage)) return "unknown";
  if (cellVoltage >= data.chargeCellVoltage) return "charge";
  if (cellVoltage >= data.floatCellVoltage) return "float";
  return "discharge";
}
