/**
 * The point catalogue: every measurement and status the gateway knows, declared once.
 *
 * Every protocol projection (Modbus register map, SNMP MIB, BACnet objects, CLI columns, REST fields, docs) is
 * generated from this list by pure functions. `number` is the point's stable identity on the wire: projections
 * derive addresses, OID columns and object instances from it, never from declaration order, so adding a point
 * never moves an existing one. Never renumber a point; retire it instead.
 */

export type PointScope = "system" | "string" | "block";

/** Engineering unit of the value as held in the model. */
export type Unit = "V" | "A" | "°C" | "mΩ" | "%" | "%RH" | "Ah" | "s" | "";

export type PointType = "float" | "integer" | "enum" | "boolean";

export interface PointDefinition {
  /** Stable, unique, dotted id used in configs, APIs and logs, e.g. `block.voltage`. */
  readonly id: string;
  /** Stable number, unique within its scope; projections derive wire addresses from it. */
  readonly number: number;
  readonly scope: PointScope;
  /** Short label for tables (≤ 12 characters). */
  readonly label: string;
  readonly description: string;
  readonly unit: Unit;
  readonly type: PointType;
  /** Plausible range of the value; values outside are flagged as a fault by the poller. */
  readonly range: readonly [min: number, max: number];
  /** Smallest step the field devices resolve, in `unit`. */
  readonly resolution: number;
  /** For `enum` points: state names indexed by value. */
  readonly states?: readonly string[];
  /** `measured` comes from a probe; `derived` is computed by the gateway. */
  readonly source: "measured" | "derived";
}

export const CHARGE_STATES = ["unknown", "float", "charge", "discharge", "rest"] as const;
export type ChargeState = (typeof CHARGE_STATES)[number];

export const EQUALIZATION_STATES = ["off", "active", "failed"] as const;
export type EqualizationState = (typeof EQUALIZATION_STATES)[number];

export const COMM_STATES = ["unknown", "ok", "comm-lost", "wrong-device"] as const;

const catalogue = [
  // --- system -----------------------------------------------------------------------------------------------------
  {
    id: "system.ambientTemperature",
    number: 1,
    scope: "system",
    label: "Ambient",
    description: "Room (ambient) temperature from the environment sensor.",
    unit: "°C",
    type: "float",
    range: [-40, 85],
    resolution: 0.1,
    source: "measured",
  },
  {
    id: "system.humidity",
    number: 2,
    scope: "system",
    label: "Humidity",
    description: "Relative humidity from the environment sensor.",
    unit: "%RH",
    type: "float",
    range: [0, 100],
    resolution: 0.1,
    source: "measured",
  },
  // --- string -----------------------------------------------------------------------------------------------------
  {
    id: "string.voltage",
    number: 1,
    scope: "string",
    label: "Voltage",
    description: "String voltage measured by the string sensor or string master.",
    unit: "V",
    type: "float",
    range: [0, 2000],
    resolution: 0.001,
    source: "measured",
  },
  {
    id: "string.current",
    number: 2,
    scope: "string",
    label: "Current",
    description: "String current from the Hall sensor; positive charges, negative discharges.",
    unit: "A",
    type: "float",
    range: [-2000, 2000],
    resolution: 0.001,
    source: "measured",
  },
  {
    id: "string.chargeState",
    number: 3,
    scope: "string",
    label: "State",
    description: "Charge state of the string: float, charge (boost), discharge or rest.",
    unit: "",
    type: "enum",
    range: [0, CHARGE_STATES.length - 1],
    resolution: 1,
    states: CHARGE_STATES,
    source: "derived",
  },
  {
    id: "string.blockVoltageMin",
    number: 4,
    scope: "string",
    label: "Min block",
    description: "Lowest block voltage in the string.",
    unit: "V",
    type: "float",
    range: [0, 20],
    resolution: 0.001,
    source: "derived",
  },
  {
    id: "string.blockVoltageMax",
    number: 5,
    scope: "string",
    label: "Max block",
    description: "Highest block voltage in the string.",
    unit: "V",
    type: "float",
    range: [0, 20],
    resolution: 0.001,
    source: "derived",
  },
  {
    id: "string.blockVoltageMean",
    number: 6,
    scope: "string",
    label: "Mean block",
    description: "Mean block voltage in the string.",
    unit: "V",
    type: "float",
    range: [0, 20],
    resolution: 0.001,
    source: "derived",
  },
  {
    id: "string.temperatureMax",
    number: 7,
    scope: "string",
    label: "Max temp",
    description: "Highest block temperature in the string.",
    unit: "°C",
    type: "float",
    range: [-40, 125],
    resolution: 0.1,
    source: "derived",
  },
  {
    id: "string.soc",
    number: 8,
    scope: "string",
    label: "SOC",
    description: "State of charge of the string.",
    unit: "%",
    type: "float",
    range: [0, 100],
    resolution: 0.1,
    source: "derived",
  },
  {
    id: "string.soh",
    number: 9,
    scope: "string",
    label: "SOH",
    description: "State of health of the string (weakest block).",
    unit: "%",
    type: "float",
    range: [0, 100],
    resolution: 0.1,
    source: "derived",
  },
  {
    id: "string.loadDisconnect",
    number: 10,
    scope: "string",
    label: "Load disc.",
    description: "Load-disconnect output of the string's relay module (1 = load connected/allowed).",
    unit: "",
    type: "boolean",
    range: [0, 1],
    resolution: 1,
    source: "measured",
  },
  {
    id: "string.chargeDisconnect",
    number: 11,
    scope: "string",
    label: "Charge disc.",
    description: "Charge-disconnect output of the string's relay module (1 = charging allowed).",
    unit: "",
    type: "boolean",
    range: [0, 1],
    resolution: 1,
    source: "measured",
  },
  {
    id: "string.remoteOnOff",
    number: 12,
    scope: "string",
    label: "Remote on",
    description: "Remote on/off input of the string's relay module (1 = on).",
    unit: "",
    type: "boolean",
    range: [0, 1],
    resolution: 1,
    source: "measured",
  },
  // --- block ------------------------------------------------------------------------------------------------------
  {
    id: "block.voltage",
    number: 1,
    scope: "block",
    label: "Voltage",
    description: "Block (cell or monobloc) voltage.",
    unit: "V",
    type: "float",
    range: [0, 20],
    resolution: 0.001,
    source: "measured",
  },
  {
    id: "block.temperature",
    number: 2,
    scope: "block",
    label: "Temp",
    description: "Block temperature at the negative terminal.",
    unit: "°C",
    type: "float",
    range: [-40, 125],
    resolution: 0.1,
    source: "measured",
  },
  {
    id: "block.resistance",
    number: 3,
    scope: "block",
    label: "Resistance",
    description: "Internal (ohmic) resistance from the latest measurement.",
    unit: "mΩ",
    type: "float",
    range: [0, 1000],
    resolution: 0.001,
    source: "measured",
  },
  {
    id: "block.equalization",
    number: 4,
    scope: "block",
    label: "Equalize",
    description: "Equalization (bypass balancing) state of the block's probe.",
    unit: "",
    type: "enum",
    range: [0, EQUALIZATION_STATES.length - 1],
    resolution: 1,
    states: EQUALIZATION_STATES,
    source: "measured",
  },
  {
    id: "block.soc",
    number: 5,
    scope: "block",
    label: "SOC",
    description: "State of charge of the block.",
    unit: "%",
    type: "float",
    range: [0, 100],
    resolution: 0.1,
    source: "derived",
  },
  {
    id: "block.soh",
    number: 6,
    scope: "block",
    label: "SOH",
    description: "State of health of the block, from resistance trend and measured capacity.",
    unit: "%",
    type: "float",
    range: [0, 100],
    resolution: 0.1,
    source: "derived",
  },
] as const satisfies readonly PointDefinition[];

export type PointId = (typeof catalogue)[number]["id"];
export type ScopedPointId<S extends PointScope> = Extract<(typeof catalogue)[number], { scope: S }>["id"];
export type SystemPointId = ScopedPointId<"system">;
export type StringPointId = ScopedPointId<"string">;
export type BlockPointId = ScopedPointId<"block">;

export const POINTS: readonly PointDefinition[] = catalogue;

const byId = new Map<string, PointDefinition>(POINTS.map((p) => [p.id, p]));

export function pointById(id: string): PointDefinition | undefined {
  return byId.get(id);
}

export function pointsOfScope(scope: PointScope): readonly PointDefinition[] {
  return POINTS.filter((p) => p.scope === scope);
}

/** Catalogue invariants; a test calls this so a bad edit fails fast. */
export function validateCatalogue(points: readonly PointDefinition[] = POINTS): string[] {
  const problems: string[] = [];
  const ids = new Set<string>();
  const numbers = new Set<string>();
  for (const p of points) {
    if (ids.has(p.id)) problems.push(`duplicate point id ${p.id}`);
    ids.add(p.id);
    const key = `${p.scope}:${p.number}`;
    if (numbers.has(key)) problems.push(`duplicate number ${p.number} in scope ${p.scope} (${p.id})`);
    numbers.add(key);
    if (!p.id.startsWith(`${p.scope}.`)) problems.push(`point ${p.id} must start with its scope "${p.scope}."`);
    if (p.range[0] >= p.range[1]) problems.push(`point ${p.id} has an empty range`);
    if (p.type === "enum" && !p.states?.length) problems.push(`enum point ${p.id} has no states`);
    if (p.label.length > 12) problems.push(`point ${p.id} label longer than 12 characters`);
  }
  return problems;
}
