/**
 * The standard BATTERY-MIB (RFC 7577, mib-2 233): one batteryTable row per string, for NMSs that know the IETF MIB
 * but not ours. Only the objects the model can fill are served; the others are absent (a GET answers
 * noSuchInstance, a walk skips them). See docs/protocols/snmp.md for the list and the mapping.
 *
 * The row index is entPhysicalIndex in the RFC; the gateway serves no ENTITY-MIB, so the index is the string id.
 */
import { cellsPerBlock } from "../../core/alarms/thresholds.js";
import type { Chemistry } from "../../core/config/core-schema.js";
import type { PlantSnapshot } from "../../core/model.js";
import { CHARGE_STATES, type PointId } from "../../core/points.js";
import type { StringInfo } from "../../core/topology.js";
import { encodeInteger, encodeOctetString, encodeUnsigned, TAG } from "./ber.js";

/** batteryTable: mib-2.233.1.1; columns live under batteryEntry = table.1. */
export const BATTERY_TABLE_OID: readonly number[] = [1, 3, 6, 1, 2, 1, 233, 1, 1];

/** Values RFC 7577 reserves for "cannot be determined". */
const UNKNOWN_UNSIGNED = 0xffffffff;
const UNKNOWN_INTEGER = 0x7fffffff;

/** batteryTechnology (IANA "Battery Technologies" registry, initial values from RFC 7577). */
const TECHNOLOGY: Record<Chemistry, number> = {
  vla: 12, // leadAcid (vented, flooded)
  vrla: 14, // valveRegulatedLeadAcidAGM, the usual stationary VRLA
  lifepo4: 18, // lithiumIon (the registry's initial list has no LFP entry)
  nicd: 15, // nickelCadmium
};

/** batteryChargingOperState from our string charge state. */
const OPER_STATE: Record<(typeof CHARGE_STATES)[number], number> = {
  unknown: 1,
  charge: 2, // charging
  float: 3, // maintainingCharge
  rest: 4, // noCharging
  discharge: 5, // discharging
};

export interface BatteryColumn {
  readonly name: string;
  readonly sub: number;
  /** Encodes the value of the column for one string. */
  readonly read: (snapshot: PlantSnapshot, string: StringInfo) => Buffer;
  /** True when the value changes only with the configuration, false when it follows the measurements. */
  readonly constant: boolean;
}

const unsigned = (value: number) => encodeUnsigned(Math.max(0, Math.min(UNKNOWN_UNSIGNED, value)), TAG.gauge32);

function sample(snapshot: PlantSnapshot, point: PointId, string: StringInfo): number | undefined {
  const s = snapshot.sample(point, string.index);
  return s.quality === "good" && Number.isFinite(s.value) ? s.value : undefined;
}

/** Unsigned32 of `value × scale`, or the RFC's "unknown" when the point is not good. */
function measuredUnsigned(value: number | undefined, scale: number): Buffer {
  return value === undefined ? unsigned(UNKNOWN_UNSIGNED) : unsigned(Math.round(value * scale));
}

function measuredInteger(value: number | undefined, scale: number): Buffer {
  if (value === undefined) return encodeInteger(UNKNOWN_INTEGER);
  return encodeInteger(Math.max(-0x7fffffff, Math.min(0x7ffffffe, Math.round(value * scale))));
}

/** Present capacity in Ah: design capacity × SOH. */
function actualCapacityAh(snapshot: PlantSnapshot, string: StringInfo): number | undefined {
  const soh = sample(snapshot, "string.soh", string);
  return soh === undefined ? undefined : (string.capacityAh * soh) / 100;
}

/** The served columns, in column order. */
export const BATTERY_COLUMNS: readonly BatteryColumn[] = [
  { name: "batteryIdentifier", sub: 1, constant: true, read: (_, s) => encodeOctetString(s.name) },
  { name: "batteryType", sub: 3, constant: true, read: () => encodeInteger(4) }, // rechargeable
  { name: "batteryTechnology", sub: 4, constant: true, read: (_, s) => unsigned(TECHNOLOGY[s.chemistry]) },
  {
    name: "batteryDesignVoltage",
    sub: 5,
    constant: true,
    read: (_, s) => unsigned(Math.round(s.nominalBlockVoltage * s.blockCount * 1000)),
  },
  {
    name: "batteryNumberOfCells",
    sub: 6,
    constant: true,
    read: (_, s) => unsigned(Math.round(cellsPerBlock(s) * s.blockCount)),
  },
  { name: "batteryDesignCapacity", sub: 7, constant: true, read: (_, s) => unsigned(Math.round(s.capacityAh * 1000)) },
  {
    name: "batteryActualCapacity",
    sub: 10,
    constant: false,
    read: (x, s) => measuredUnsigned(actualCapacityAh(x, s), 1000),
  },
  {
    name: "batteryChargingOperState",
    sub: 13,
    constant: false,
    read: (x, s) => {
      const state = sample(x, "string.chargeState", s);
      return encodeInteger(OPER_STATE[CHARGE_STATES[state ?? 0] ?? "unknown"]);
    },
  },
  { name: "batteryChargingAdminState", sub: 14, constant: true, read: () => encodeInteger(1) }, // notSet
  {
    name: "batteryActualCharge",
    sub: 15,
    constant: false,
    read: (x, s) => {
      const soc = sample(x, "string.soc", s);
      const capacity = actualCapacityAh(x, s);
      return measuredUnsigned(soc === undefined || capacity === undefined ? undefined : (capacity * soc) / 100, 1000);
    },
  },
  {
    name: "batteryActualVoltage",
    sub: 16,
    constant: false,
    read: (x, s) => measuredUnsigned(sample(x, "string.voltage", s), 1000),
  },
  {
    name: "batteryActualCurrent",
    sub: 17,
    constant: false,
    read: (x, s) => measuredInteger(sample(x, "string.current", s), 1000),
  },
  {
    name: "batteryTemperature",
    sub: 18,
    constant: false,
    read: (x, s) => measuredInteger(sample(x, "string.temperatureMax", s), 10),
  },
];
