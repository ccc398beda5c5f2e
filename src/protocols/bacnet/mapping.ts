/**
 * The projection of the point and event catalogues onto BACnet objects (no I/O).
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
 *
 * Because the formula can be read backwards, block objects (seven per block, ~70,000 at 10,000 blocks) are never
 * stored: `DeviceObjects` makes them when a request names one or a list walks over them, and names and descriptions
 * are computed when read. Only the device, system and string objects and the views are kept.
 */
import { EngineeringUnits, ObjectType } from "@bacnet-js/client/dist/lib/enum.js";
import { EVENT_CATALOGUE, type EventDefinition } from "../../core/alarms/catalogue.js";
import { POINTS, type PointDefinition, pointById, type Unit } from "../../core/points.js";
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

/** What an object stands for; decides where its Present_Value comes from. */
export type ObjectKind =
  | "device"
  /** A catalogue point at one row of the model (system, string or block scope). */
  | "point"
  /** Active when an alarm with this event id is active on the string (or any of its blocks); system when no string. */
  | "alarm"
  /** Active when any alarm is active on this block. */
  | "block-alarm"
  /** The Structured View grouping one string's objects. */
  | "view";

export interface ObjectRef {
  readonly type: number;
  readonly instance: number;
}

/** What every object of one device shares: the texts of the device and the COV increments. */
export interface ProjectionContext {
  readonly siteName: string;
  readonly deviceName: string;
  readonly deviceDescription: string;
  readonly cov: BacnetConfig["cov"];
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

const SHORT_NAMES = new Map(POINTS.map((p) => [p, p.id.slice(p.id.indexOf(".") + 1)]));
const BLOCK_POINTS = POINTS.filter((p) => p.scope === "block");
/** Objects per block: its points, then its "any alarm" binary input. */
const BLOCK_SLOTS = BLOCK_POINTS.length + 1;
const BLOCK_POINT_BY_NUMBER = new Map(BLOCK_POINTS.map((p) => [p.number, p]));
const BLOCK_POINT_BY_SHORT_NAME = new Map(BLOCK_POINTS.map((p) => [SHORT_NAMES.get(p) ?? p.id, p]));
const BLOCK_NAME = /^S(\d+)\.B(\d+)\.(.+)$/;

function shortName(point: PointDefinition): string {
  return SHORT_NAMES.get(point) ?? point.id;
}

/**
 * One BACnet object. Every object has the same fields, always assigned (one hidden class for all of them), and its
 * texts — name, description, units — are computed on demand from (string, block, point): a 10,000-block plant
 * would otherwise keep ~74,000 names and descriptions that are read only when a workstation asks for them.
 */
export class BacnetObject implements ObjectRef {
  private constructor(
    readonly kind: ObjectKind,
    readonly type: number,
    readonly instance: number,
    /** The string the object belongs to; undefined for the Device object and system objects. */
    readonly owner: StringInfo | undefined,
    /** 1-based block number of a block object, else 0. */
    readonly block: number,
    readonly point: PointDefinition | undefined,
    readonly event: EventDefinition | undefined,
    private readonly context: ProjectionContext,
  ) {}

  static device(context: ProjectionContext, instance: number): BacnetObject {
    return new BacnetObject("device", ObjectType.DEVICE, instance, undefined, 0, undefined, undefined, context);
  }

  /** A system point (no owner), string point (owner) or block point (owner and block). */
  static point(context: ProjectionContext, point: PointDefinition, owner?: StringInfo, block = 0): BacnetObject {
    const instance = !owner
      ? systemPointInstance(point)
      : block > 0
        ? blockPointInstance(owner.id, block, point)
        : stringPointInstance(owner.id, point);
    return new BacnetObject("point", objectTypeOf(point), instance, owner, block, point, undefined, context);
  }

  static alarm(context: ProjectionContext, event: EventDefinition, owner?: StringInfo): BacnetObject {
    const instance = alarmInstance(owner?.id ?? 0, event.eventId);
    return new BacnetObject("alarm", ObjectType.BINARY_INPUT, instance, owner, 0, undefined, event, context);
  }

  static blockAlarm(context: ProjectionContext, owner: StringInfo, block: number): BacnetObject {
    const instance = blockAlarmInstance(owner.id, block);
    return new BacnetObject(
      "block-alarm",
      ObjectType.BINARY_INPUT,
      instance,
      owner,
      block,
      undefined,
      undefined,
      context,
    );
  }

  static view(context: ProjectionContext, owner: StringInfo): BacnetObject {
    return new BacnetObject("view", ObjectType.STRUCTURED_VIEW, owner.id, owner, 0, undefined, undefined, context);
  }

  /** Model row of a point object (0 for system points). */
  get row(): number {
    if (!this.owner) return 0;
    return this.block > 0 ? this.owner.firstBlockRow + this.block - 1 : this.owner.index;
  }

  get name(): string {
    const s = this.owner?.id ?? 0;
    if (this.kind === "device") return this.context.deviceName;
    if (this.kind === "point") {
      const short = this.point ? shortName(this.point) : "";
      if (!this.owner) return short;
      return this.block > 0 ? `S${s}.B${this.block}.${short}` : `S${s}.${short}`;
    }
    if (this.kind === "alarm") return this.owner ? `S${s}.alarm.${this.event?.name}` : `alarm.${this.event?.name}`;
    if (this.kind === "block-alarm") return `S${s}.B${this.block}.alarm`;
    return `S${s}`;
  }

  get description(): string {
    if (this.kind === "device") return this.context.deviceDescription;
    const where = !this.owner
      ? this.context.siteName
      : this.block > 0
        ? `${this.owner.name} block ${this.block}`
        : this.owner.name;
    if (this.kind === "point") return `${where}: ${this.point?.description}`;
    if (this.kind === "alarm")
      return `${where}${this.owner && this.event?.scope === "block" ? " (any block)" : ""}: ${this.event?.description}`;
    if (this.kind === "block-alarm") return `${where}: any alarm active on this block`;
    return `${where}: ${this.owner?.blockCount} blocks`;
  }

  /** Engineering units (analog inputs only). */
  get units(): number | undefined {
    return this.point && this.type === ObjectType.ANALOG_INPUT ? engineeringUnits(this.point.unit) : undefined;
  }

  get unitText(): string | undefined {
    return this.point && this.type === ObjectType.ANALOG_INPUT ? this.point.unit : undefined;
  }

  get covIncrement(): number | undefined {
    return this.point && this.type === ObjectType.ANALOG_INPUT
      ? covIncrement(this.point.unit, this.context.cov)
      : undefined;
  }

  /** State texts (multi-state inputs only, 1-based on the wire). */
  get states(): readonly string[] | undefined {
    return this.type === ObjectType.MULTI_STATE_INPUT ? (this.point?.states ?? []) : undefined;
  }

  /** Relay output this object commands when written. */
  get output(): { readonly stringId: number; readonly which: "load" | "charge" } | undefined {
    const which = this.point && this.owner && this.block === 0 ? WRITABLE_POINTS[this.point.id] : undefined;
    return which && this.owner ? { stringId: this.owner.id, which } : undefined;
  }
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

/** Index of the last entry of an ascending list that is ≤ value (0 when none is). */
function lastAtOrBelow(sorted: readonly number[], value: number): number {
  let low = 0;
  let high = sorted.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if ((sorted[mid] ?? 0) <= value) low = mid;
    else high = mid - 1;
  }
  return low;
}

export interface ProjectionOptions extends ProjectionContext {
  readonly blockObjects: boolean;
  readonly deviceInstance: number;
}

/**
 * The objects of one device, in Object_List order: the Device object, system points and alarms; per string its
 * string points and alarms, then its block objects block by block (the block points, then "any alarm"); last one
 * Structured View per string. Only the few non-block objects are kept (~40 per string); block objects are made on
 * demand from the instance formula or their position, so the device holds no memory per block and finding an
 * object costs the same at 480 and 10,000 blocks.
 */
export class DeviceObjects {
  readonly device: BacnetObject;
  readonly count: number;
  private readonly context: ProjectionContext;
  private readonly blockObjects: boolean;
  private readonly strings: readonly StringInfo[];
  private readonly stringsById: Map<number, StringInfo>;
  /** Device and system objects. */
  private readonly head: BacnetObject[] = [];
  /** String points and alarms, by string index. */
  private readonly stringObjects: BacnetObject[][] = [];
  private readonly views: BacnetObject[] = [];
  /** Position of each string's first object; the extra last entry is where the views start. */
  private readonly segmentStart: number[] = [];
  private readonly firstBlockRows: number[];
  /** Every kept object (not block objects) by objectKey. */
  private readonly kept = new Map<number, BacnetObject>();

  constructor(topology: PlantTopology, options: ProjectionOptions) {
    const { blockObjects, deviceInstance, ...context } = options;
    this.context = context;
    this.blockObjects = blockObjects;
    this.strings = topology.strings;
    this.stringsById = new Map(topology.strings.map((s) => [s.id, s]));
    this.firstBlockRows = topology.strings.map((s) => s.firstBlockRow);
    this.device = BacnetObject.device(context, deviceInstance);
    this.head.push(this.device);
    for (const p of POINTS) if (p.scope === "system") this.head.push(BacnetObject.point(context, p));
    for (const e of EVENT_CATALOGUE)
      if (e.kind === "alarm" && e.scope === "system") this.head.push(BacnetObject.alarm(context, e));
    const stringPoints = POINTS.filter((p) => p.scope === "string");
    const stringAlarms = EVENT_CATALOGUE.filter(
      (e) => e.kind === "alarm" && (e.scope === "string" || e.scope === "block"),
    );
    let position = this.head.length;
    for (const s of topology.strings) {
      const own = [
        ...stringPoints.map((p) => BacnetObject.point(context, p, s)),
        ...stringAlarms.map((e) => BacnetObject.alarm(context, e, s)),
      ];
      this.stringObjects.push(own);
      this.segmentStart.push(position);
      position += own.length + (blockObjects ? s.blockCount * BLOCK_SLOTS : 0);
      this.views.push(BacnetObject.view(context, s));
    }
    this.segmentStart.push(position);
    this.count = position + this.views.length;
    for (const o of this.head) this.kept.set(objectKey(o.type, o.instance), o);
    for (const own of this.stringObjects) for (const o of own) this.kept.set(objectKey(o.type, o.instance), o);
    for (const o of this.views) this.kept.set(objectKey(o.type, o.instance), o);
  }

  /** The object at a 0-based position of the Object_List. */
  at(position: number): BacnetObject | undefined {
    if (!Number.isInteger(position) || position < 0 || position >= this.count) return undefined;
    if (position < this.head.length) return this.head[position];
    const viewsStart = this.segmentStart[this.strings.length] ?? 0;
    if (position >= viewsStart) return this.views[position - viewsStart];
    const index = lastAtOrBelow(this.segmentStart, position);
    const own = this.stringObjects[index] ?? [];
    const local = position - (this.segmentStart[index] ?? 0);
    if (local < own.length) return own[local];
    const owner = this.strings[index];
    return owner ? this.blockObjectAt(owner, local - own.length) : undefined;
  }

  private blockObjectAt(owner: StringInfo, offset: number): BacnetObject {
    const block = Math.floor(offset / BLOCK_SLOTS) + 1;
    const point = BLOCK_POINTS[offset % BLOCK_SLOTS];
    return point
      ? BacnetObject.point(this.context, point, owner, block)
      : BacnetObject.blockAlarm(this.context, owner, block);
  }

  /** Every object in Object_List order; block objects are made as the iteration reaches them. */
  *[Symbol.iterator](): Generator<BacnetObject> {
    yield* this.head;
    for (const [index, owner] of this.strings.entries()) {
      yield* this.stringObjects[index] ?? [];
      if (this.blockObjects)
        for (let offset = 0; offset < owner.blockCount * BLOCK_SLOTS; offset++) yield this.blockObjectAt(owner, offset);
    }
    yield* this.views;
  }

  /** The Structured View's members: the positions of its string's objects in the Object_List. */
  members(view: BacnetObject): { readonly start: number; readonly length: number } {
    const index = view.kind === "view" ? view.owner?.index : undefined;
    if (index === undefined) return { start: 0, length: 0 };
    const start = this.segmentStart[index] ?? 0;
    return { start, length: (this.segmentStart[index + 1] ?? start) - start };
  }

  /** The views, in Object_List order. */
  get structuredViews(): readonly BacnetObject[] {
    return this.views;
  }

  find(type: number, instance: number): BacnetObject | undefined {
    const kept = this.kept.get(objectKey(type, instance));
    if (kept || !this.blockObjects || instance < 10_000) return kept;
    if (instance >= BLOCK_ALARM_BAND) {
      const rest = instance - BLOCK_ALARM_BAND;
      if (type !== ObjectType.BINARY_INPUT || rest % 10 !== 0) return undefined;
      const owner = this.stringsById.get(Math.floor(rest / 10_000));
      const block = Math.floor(rest / 10) % 1000;
      return owner && block >= 1 && block <= owner.blockCount
        ? BacnetObject.blockAlarm(this.context, owner, block)
        : undefined;
    }
    if (instance >= ALARM_BAND) return undefined;
    const point = BLOCK_POINT_BY_NUMBER.get(instance % 10);
    const owner = this.stringsById.get(Math.floor(instance / 10_000));
    const block = Math.floor(instance / 10) % 1000;
    if (!point || !owner || objectTypeOf(point) !== type || block < 1 || block > owner.blockCount) return undefined;
    return BacnetObject.point(this.context, point, owner, block);
  }

  /** By Object_Name (Who-Has, rare): block names are parsed, the few kept objects scanned. */
  findByName(name: string): BacnetObject | undefined {
    const parts = this.blockObjects ? BLOCK_NAME.exec(name) : null;
    if (parts) {
      const owner = this.stringsById.get(Number(parts[1]));
      const block = Number(parts[2]);
      const point = BLOCK_POINT_BY_SHORT_NAME.get(parts[3] ?? "");
      if (owner && Number.isInteger(block) && block >= 1 && block <= owner.blockCount) {
        const candidate =
          parts[3] === "alarm"
            ? BacnetObject.blockAlarm(this.context, owner, block)
            : point
              ? BacnetObject.point(this.context, point, owner, block)
              : undefined;
        // The formatted name must match exactly ("S01.B1.voltage" is not an object name).
        if (candidate?.name === name) return candidate;
      }
    }
    // Later objects win a name clash, as the Object_List order would have it.
    for (const list of [this.views, ...[...this.stringObjects].reverse(), this.head])
      for (let i = list.length - 1; i >= 0; i--) if (list[i]?.name === name) return list[i];
    return undefined;
  }

  /** objectKey of the object showing a model point at a row, if the device has one. */
  keyOfPoint(pointId: string, row: number): number | undefined {
    const point = pointById(pointId);
    if (!point) return undefined;
    if (point.scope === "system") return objectKey(objectTypeOf(point), systemPointInstance(point));
    if (point.scope === "string") {
      const owner = this.strings[row];
      return owner ? objectKey(objectTypeOf(point), stringPointInstance(owner.id, point)) : undefined;
    }
    if (!this.blockObjects || this.strings.length === 0) return undefined;
    const owner = this.strings[lastAtOrBelow(this.firstBlockRows, row)];
    const block = owner ? row - owner.firstBlockRow + 1 : 0;
    if (!owner || block < 1 || block > owner.blockCount) return undefined;
    return objectKey(objectTypeOf(point), blockPointInstance(owner.id, block, point));
  }

  /** The object types present (Protocol_Object_Types_Supported). */
  types(): Set<number> {
    const types = new Set<number>();
    for (const list of [this.head, ...this.stringObjects, this.views]) for (const o of list) types.add(o.type);
    if (this.blockObjects && this.strings.some((s) => s.blockCount > 0)) {
      for (const p of BLOCK_POINTS) types.add(objectTypeOf(p));
      types.add(ObjectType.BINARY_INPUT);
    }
    return types;
  }
}
