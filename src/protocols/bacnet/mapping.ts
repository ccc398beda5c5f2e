/**
 * The projection of the point and event catalogues onto BACnet objects (pure functions, no I/O).
 *
 * Instance numbers are written by formula from stable identities — the point's `number`, the configured string id
 * and the 1-based block number — never from declaration order, so adding a point or a string never moves an
 * existing object:
 *
 *   system point            instance = P                          (P = point number, 1..99)
 *   string point            instance = S × 100 + P                (S = string id 1..99)
 *   block point             instance = S × 10000 + B × 10 + P     (B = block 1..999, P 1..9)
 *   string-level alarm      instance = 1000000 + S × 1000 + E     (E = event id; S = 0 for system alarms)
 *   block "any alarm"       instance = 2000000 + S × 10000 + B × 10
 *   Structured View         instance = S (one per string), 0 for the site
 *
 * Each object type has its own instance space; the bands above are disjoint anyway so a number reads the same
 * whatever the type. Example: analog-input 10173 is string 1, block 17, point 3 (resistance).
 */
import { EngineeringUnits, ObjectType } from "@bacnet-js/client/dist/lib/enum.js";
import { EVENT_CATALOGUE, type EventDefinition } from "../../core/alarms/catalogue.js";
import { POINTS, type PointDefinition, type PointId, type Unit } from "../../core/points.js";
import type { PlantTopology, StringInfo } from "../../core/topology.js";
import type { BacnetConfig } from "./config-schema.js";

export const MAX_STRING_ID = 99;
export const MAX_BLOCK_WITH_OBJECTS = 999;
export const ALARM_BAND = 1_000_000;
export const BLOCK_ALARM_BAND = 2_000_000;

/** Points whose BACnet object accepts WriteProperty (when writes are enabled), and the command they run. */
export const WRITABLE_POINTS: Readonly<Record<string, "load" | "charge">> = {
  "string.loadDisconnect": "load",
  "string.chargeDisconnect": "charge",
};

export function systemPointInstance(point: PointDefinition): number {
  return point.number;
}
export function stringPointInstance(stringId: number, point: PointDefinition): number {
  return stringId * 100 + point.number;
}
export function blockPointInstance(stringId: number, block: number, point: PointDefinition): number {
  return stringId * 10_000 + block * 10 + point.number;
}
export function alarmInstance(stringId: number, eventId: number): number {
  return ALARM_BAND + stringId * 1000 + eventId;
}
export function blockAlarmInstance(stringId: number, block: number): number {
  return BLOCK_ALARM_BAND + stringId * 10_000 + block * 10;
}

const UNITS: Record<Unit, number> = {
  V: EngineeringUnits.VOLTS,
  A: EngineeringUnits.AMPERES,
  "°C": EngineeringUnits.DEGREES_CELSIUS,
  mΩ: EngineeringUnits.MILLIOHMS,
  "%": EngineeringUnits.PERCENT,
  "%RH": EngineeringUnits.PERCENT_RELATIVE_HUMIDITY,
  // BACnet has no ampere-hours; the EDE and the description carry the unit text.
  Ah: EngineeringUnits.NO_UNITS,
  s: EngineeringUnits.SECONDS,
  "": EngineeringUnits.NO_UNITS,
};

export function engineeringUnits(unit: Unit): number {
  return UNITS[unit];
}

export function covIncrement(unit: Unit, cov: BacnetConfig["cov"]): number {
  if (unit === "V") return cov.increments.voltage;
  if (unit === "°C") return cov.increments.temperature;
  if (unit === "mΩ") return cov.increments.resistance;
  if (unit === "A") return cov.increments.current;
  if (unit === "%" || unit === "%RH") return cov.increments.percent;
  return 1;
}

/** Where an object's Present_Value comes from. */
export type ObjectSource =
  | { readonly kind: "point"; readonly point: PointDefinition; readonly row: number }
  /** Active when an alarm with this event id is active on the string (or any of its blocks); system when no string. */
  | { readonly kind: "alarm"; readonly event: EventDefinition; readonly stringId?: number }
  /** Active when any alarm is active on this block. */
  | { readonly kind: "block-alarm"; readonly stringId: number; readonly block: number }
  | { readonly kind: "view"; readonly members: readonly ObjectRef[] }
  | { readonly kind: "device" };

export interface ObjectRef {
  readonly type: number;
  readonly instance: number;
}

export interface BacnetObject extends ObjectRef {
  readonly name: string;
  readonly description: string;
  readonly source: ObjectSource;
  /** Engineering units (analog). */
  readonly units?: number;
  readonly unitText?: string;
  readonly covIncrement?: number;
  /** State texts (multi-state, 1-based on the wire). */
  readonly states?: readonly string[];
  /** Relay output this object commands when written. */
  readonly output?: { readonly stringId: number; readonly which: "load" | "charge" };
}

export function objectKey(type: number, instance: number): number {
  return type * 0x400000 + instance;
}

/** The BACnet object type a catalogue point is projected onto. */
export function objectTypeOf(point: PointDefinition): number {
  if (point.type === "enum") return ObjectType.MULTI_STATE_INPUT;
  if (point.type === "boolean") return WRITABLE_POINTS[point.id] ? ObjectType.BINARY_VALUE : ObjectType.BINARY_INPUT;
  return ObjectType.ANALOG_INPUT;
}

export class BacnetMappingError extends Error {
  readonly code = "E_BACNET_INSTANCE_RANGE";
}

/** Checks the plant fits the instance formula; returns problems an operator can act on. */
export function checkInstanceRanges(topology: PlantTopology, blockObjects: boolean): string[] {
  const problems: string[] = [];
  for (const s of topology.strings) {
    if (s.id > MAX_STRING_ID)
      problems.push(`string ${s.id}: BACnet projects string ids 1..${MAX_STRING_ID}; renumber the string`);
    if (blockObjects && s.blockCount > MAX_BLOCK_WITH_OBJECTS)
      problems.push(
        `string ${s.id}: ${s.blockCount} blocks exceed ${MAX_BLOCK_WITH_OBJECTS} per string; set protocols.bacnet.blockObjects: false`,
      );
  }
  for (const p of POINTS) {
    if (p.scope === "block" && p.number > 9) problems.push(`block point ${p.id} has number > 9`);
    if (p.number > 99) problems.push(`point ${p.id} has number > 99`);
  }
  return problems;
}

function pointObject(
  point: PointDefinition,
  instance: number,
  row: number,
  name: string,
  where: string,
  cov: BacnetConfig["cov"],
  output?: BacnetObject["output"],
): BacnetObject {
  const type = objectTypeOf(point);
  const base = {
    type,
    instance,
    name,
    description: `${where}: ${point.description}`,
    source: { kind: "point" as const, point, row },
  };
  if (type === ObjectType.ANALOG_INPUT)
    return {
      ...base,
      units: engineeringUnits(point.unit),
      unitText: point.unit,
      covIncrement: covIncrement(point.unit, cov),
    };
  if (type === ObjectType.MULTI_STATE_INPUT) return { ...base, states: point.states ?? [] };
  return output ? { ...base, output } : base;
}

function shortName(point: PointDefinition): string {
  return point.id.slice(point.id.indexOf(".") + 1);
}

/** Every object of the device except the Device object itself, in a stable order. */
export function projectObjects(
  topology: PlantTopology,
  options: { readonly blockObjects: boolean; readonly cov: BacnetConfig["cov"] },
): BacnetObject[] {
  const objects: BacnetObject[] = [];
  const site = topology.site.name;
  for (const p of POINTS.filter((x) => x.scope === "system"))
    objects.push(pointObject(p, systemPointInstance(p), 0, shortName(p), site, options.cov));
  const systemAlarms = EVENT_CATALOGUE.filter((e) => e.kind === "alarm" && e.scope === "system");
  for (const e of systemAlarms)
    objects.push({
      type: ObjectType.BINARY_INPUT,
      instance: alarmInstance(0, e.eventId),
      name: `alarm.${e.name}`,
      description: `${site}: ${e.description}`,
      source: { kind: "alarm", event: e },
    });
  const views: BacnetObject[] = [];
  for (const s of topology.strings) {
    const members: BacnetObject[] = [];
    projectString(s, options, members);
    objects.push(...members);
    views.push({
      type: ObjectType.STRUCTURED_VIEW,
      instance: s.id,
      name: `S${s.id}`,
      description: `${s.name}: ${s.blockCount} blocks`,
      source: { kind: "view", members: members.map(({ type, instance }) => ({ type, instance })) },
    });
  }
  objects.push(...views);
  return objects;
}

function projectString(
  s: StringInfo,
  options: { readonly blockObjects: boolean; readonly cov: BacnetConfig["cov"] },
  out: BacnetObject[],
): void {
  for (const p of POINTS.filter((x) => x.scope === "string")) {
    const which = WRITABLE_POINTS[p.id];
    out.push(
      pointObject(
        p,
        stringPointInstance(s.id, p),
        s.index,
        `S${s.id}.${shortName(p)}`,
        s.name,
        options.cov,
        which ? { stringId: s.id, which } : undefined,
      ),
    );
  }
  for (const e of EVENT_CATALOGUE.filter((x) => x.kind === "alarm" && (x.scope === "string" || x.scope === "block")))
    out.push({
      type: ObjectType.BINARY_INPUT,
      instance: alarmInstance(s.id, e.eventId),
      name: `S${s.id}.alarm.${e.name}`,
      description: `${s.name}${e.scope === "block" ? " (any block)" : ""}: ${e.description}`,
      source: { kind: "alarm", event: e, stringId: s.id },
    });
  if (!options.blockObjects) return;
  const blockPoints = POINTS.filter((x) => x.scope === "block");
  for (let b = 1; b <= s.blockCount; b++) {
    const row = s.firstBlockRow + b - 1;
    const where = `${s.name} block ${b}`;
    for (const p of blockPoints)
      out.push(
        pointObject(p, blockPointInstance(s.id, b, p), row, `S${s.id}.B${b}.${shortName(p)}`, where, options.cov),
      );
    out.push({
      type: ObjectType.BINARY_INPUT,
      instance: blockAlarmInstance(s.id, b),
      name: `S${s.id}.B${b}.alarm`,
      description: `${where}: any alarm active on this block`,
      source: { kind: "block-alarm", stringId: s.id, block: b },
    });
  }
}

/** Which objects depend on a point row (for COV); built once. */
export function indexByPoint(objects: readonly BacnetObject[]): Map<string, BacnetObject> {
  const map = new Map<string, BacnetObject>();
  for (const o of objects)
    if (o.source.kind === "point") map.set(pointRowKey(o.source.point.id as PointId, o.source.row), o);
  return map;
}

export function pointRowKey(point: string, row: number): string {
  return `${point}#${row}`;
}
