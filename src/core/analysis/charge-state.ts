import type { ChargeState } from "../points.js";
import type { ChemistryData } from "./ocv-tables.js";

export interface ChargeStateInput {
  /** String current, A (positive charges); NaN without a working current sensor. */
  readonly current: number;
  /** Mean cell voltage of the string, V (NaN when no block reads). */
  readonly cellVoltage: number;
  /** |current| above this (A) counts as charging or discharging. */
  readonly currentThreshold: number;
  readonly data: ChemistryData;
}

/**
 * Charge state of a string. With a current sensor: the current's sign beyond the threshold says charge/discharge;
 * otherwise float when the cells sit at float voltage, rest when they do not. Without a current sensor only the
 * voltage can speak: at boost voltage "charge", at float voltage "float", below it "discharge" (a standby string off
 * its charger is carrying the load; rest cannot be told apart without current).
 */
export function classifyChargeState(input: ChargeStateInput): ChargeState {
  const { current, cellVoltage, currentThreshold, data } = input;
  if (Number.isFinite(current)) {
    if (current < -currentThreshold) return "discharge";
    if (current > currentThreshold) return "charge";
    if (!Number.isFinite(cellVoltage)) return "unknown";
    return cellVoltage >= data.floatCellVoltage ? "float" : "rest";
  }
  if (!Number.isFinite(cellVoltage)) return "unknown";
  if (cellVoltage >= data.chargeCellVoltage) return "charge";
  if (cellVoltage >= data.floatCellVoltage) return "float";
  return "discharge";
}
