import type { Chemistry } from "../config/core-schema.js";

/**
 * Per-cell voltage data of each chemistry, as data: the open-circuit-voltage (OCV) curve for state of charge at rest,
 * and the cell voltages that tell float, boost charge and the end of a discharge apart. Values per cell; a block of
 * `nominalBlockVoltage` has nominalBlockVoltage / nominalCellVoltage cells.
 *
 * Sources: VRLA/VLA OCV is close to linear between about 1.98 V (empty) and 2.13 V (full) per cell after rest;
 * float 2.23–2.27 V, boost 2.33–2.40 V, end of discharge 1.75 V (IEEE 1188/450 practice, vendor data sheets).
 * LiFePO4 is flat between the knees (3.20–3.33 V), float 3.375 V, low cut-off 2.8 V (smallBMS default). NiCd (pocket
 * plate) 1.15–1.30 V OCV, float 1.40 V, end 1.0 V.
 */
export interface ChemistryData {
  readonly nominalCellVoltage: number;
  /** OCV curve: [state of charge %, cell voltage V], ascending in both. */
  readonly ocv: readonly (readonly [soc: number, volts: number])[];
  /** At or above this cell voltage with little current the string floats. */
  readonly floatCellVoltage: number;
  /** At or above this cell voltage the charger is boosting (charge state "charge" without a current sensor). */
  readonly chargeCellVoltage: number;
  /** Default end-of-discharge cell voltage: a discharge that reaches it has taken out the usable capacity. */
  readonly endCellVoltage: number;
}

export const CHEMISTRY_DATA: Readonly<Record<Chemistry, ChemistryData>> = {
  vrla: {
    nominalCellVoltage: 2,
    ocv: [
      [0, 1.98],
      [10, 1.995],
      [25, 2.018],
      [50, 2.055],
      [75, 2.093],
      [90, 2.115],
      [100, 2.13],
    ],
    floatCellVoltage: 2.2,
    chargeCellVoltage: 2.3,
    endCellVoltage: 1.75,
  },
  vla: {
    nominalCellVoltage: 2,
    ocv: [
      [0, 1.98],
      [25, 2.015],
      [50, 2.05],
      [75, 2.085],
      [100, 2.12],
    ],
    floatCellVoltage: 2.19,
    chargeCellVoltage: 2.29,
    endCellVoltage: 1.75,
  },
  lifepo4: {
    nominalCellVoltage: 3.2,
    ocv: [
      [0, 2.8],
      [5, 3.0],
      [10, 3.2],
      [20, 3.22],
      [40, 3.26],
      [60, 3.28],
      [80, 3.31],
      [95, 3.33],
      [100, 3.34],
    ],
    floatCellVoltage: 3.36,
    chargeCellVoltage: 3.42,
    endCellVoltage: 2.8,
  },
  nicd: {
    nominalCellVoltage: 1.2,
    ocv: [
      [0, 1.15],
      [25, 1.19],
      [50, 1.225],
      [75, 1.26],
      [100, 1.3],
    ],
    floatCellVoltage: 1.37,
    chargeCellVoltage: 1.43,
    endCellVoltage: 1.0,
  },
};

/** Cells in one block of the string. */
export function cellsPerBlock(chemistry: Chemistry, nominalBlockVoltage: number): number {
  return Math.max(1, Math.round(nominalBlockVoltage / CHEMISTRY_DATA[chemistry].nominalCellVoltage));
}

/** State of charge (0–100 %) for a rested cell voltage, interpolated in an OCV table. */
export function socFromOcv(table: ChemistryData["ocv"], cellVoltage: number): number {
  if (table.length === 0) return Number.NaN;
  const first = table[0] as readonly [number, number];
  const last = table[table.length - 1] as readonly [number, number];
  if (!Number.isFinite(cellVoltage)) return Number.NaN;
  if (cellVoltage <= first[1]) return first[0];
  if (cellVoltage >= last[1]) return last[0];
  for (let i = 1; i < table.length; i++) {
    const [s1, v1] = table[i] as readonly [number, number];
    const [s0, v0] = table[i - 1] as readonly [number, number];
    if (cellVoltage <= v1) return s0 + ((cellVoltage - v0) / (v1 - v0)) * (s1 - s0);
  }
  return last[0];
}

/** Checks a table is usable: at least two points, both columns strictly ascending, 0 % first and 100 % last. */
export function checkOcvTable(table: readonly (readonly [number, number])[]): string | undefined {
  if (table.length < 2) return "needs at least two points";
  if (table[0]?.[0] !== 0 || table[table.length - 1]?.[0] !== 100) return "must run from 0 % to 100 %";
  for (let i = 1; i < table.length; i++) {
    const [s1, v1] = table[i] as readonly [number, number];
    const [s0, v0] = table[i - 1] as readonly [number, number];
    if (!(s1 > s0) || !(v1 > v0)) return `point ${i} must be above point ${i - 1} in both SOC and voltage`;
  }
  return undefined;
}
