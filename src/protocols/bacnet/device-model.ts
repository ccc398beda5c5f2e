/**
 * Our BACnet device: the Device object and the projected objects, and how each property is read from one
 * snapshot. Values are returned as application data for the encoder; failures as BACnet error class/code pairs.
 */
import {
  ApplicationTag,
  ErrorClass,
  ErrorCode,
  ObjectType,
  PropertyIdentifier as P,
  Reliability,
  Segmentation,
} from "@bacnet-js/client/dist/lib/enum.js";
import type { ActiveAlarm } from "../../core/events.js";
import type { PlantSnapshot, Sample } from "../../core/model.js";
import type { PointId } from "../../core/points.js";
import type { PlantTopology } from "../../core/topology.js";
import type { BacnetConfig } from "./config-schema.js";
import { type BacnetObject, checkInstanceRanges, DeviceObjects } from "./mapping.js";

export const MAX_APDU = 1476;
/** Pseudo application tag: a BACnetDeviceObjectReference with only its object identifier ([1]). */
export const OBJECT_REFERENCE = 1001;
export const ARRAY_ALL = 0xffffffff;

export interface AppValue {
  readonly type: number;
  readonly value: unknown;
}

export interface PropertyError {
  readonly errorClass: number;
  readonly errorCode: number;
}

export type ReadResult = { ok: true; values: AppValue[] } | { ok: false; error: PropertyError };

export interface DeviceIdentity {
  readonly vendorName: string;
  readonly modelName: string;
  readonly firmwareRevision: string;
  readonly applicationSoftwareVersion: string;
}

const err = (errorClass: number, errorCode: number): ReadResult => ({ ok: false, error: { errorClass, errorCode } });
export const UNKNOWN_OBJECT: PropertyError = { errorClass: ErrorClass.OBJECT, errorCode: ErrorCode.UNKNOWN_OBJECT };

const str = (value: string): AppValue => ({ type: ApplicationTag.CHARACTER_STRING, value });
const uint = (value: number): AppValue => ({ type: ApplicationTag.UNSIGNED_INTEGER, value });
const enumerated = (value: number): AppValue => ({ type: ApplicationTag.ENUMERATED, value });
const real = (value: number): AppValue => ({ type: ApplicationTag.REAL, value });
const bool = (value: boolean): AppValue => ({ type: ApplicationTag.BOOLEAN, value });
const oid = (type: number, instance: number): AppValue => ({
  type: ApplicationTag.OBJECTIDENTIFIER,
  value: { type, instance },
});
const objectOid = (object: BacnetObject): AppValue => oid(object.type, object.instance);

/** A BACnet bit string with the given bits set (bit 0 first, as on the wire). */
export function bitString(bitsUsed: number, set: readonly number[]): AppValue {
  const value = new Array<number>(Math.ceil(bitsUsed / 8)).fill(0);
  for (const bit of set) value[bit >> 3] = (value[bit >> 3] ?? 0) | (1 << (bit & 7));
  return { type: ApplicationTag.BIT_STRING, value: { bitsUsed, value } };
}

/** Services we execute (BACnetServicesSupported bit numbers). */
const SERVICES_SUPPORTED = [
  1, // confirmedCOVNotification (initiated)
  5, // subscribeCOV
  12, // readProperty
  14, // readPropertyMultiple
  15, // writeProperty
  26, // i-Am
  27, // i-Have
  28, // unconfirmedCOVNotification (initiated)
  33, // who-Has
  34, // who-Is
];

const COMMON_REQUIRED = [P.OBJECT_IDENTIFIER, P.OBJECT_NAME, P.OBJECT_TYPE, P.PROPERTY_LIST];
const IO_REQUIRED = [...COMMON_REQUIRED, P.PRESENT_VALUE, P.STATUS_FLAGS, P.EVENT_STATE, P.OUT_OF_SERVICE];

/** Required and optional properties per object type, in the order ALL/REQUIRED/OPTIONAL report them. */
const PROPERTIES: Record<number, { required: readonly number[]; optional: readonly number[] }> = {
  [ObjectType.DEVICE]: {
    required: [
      ...COMMON_REQUIRED,
      P.SYSTEM_STATUS,
      P.VENDOR_NAME,
      P.VENDOR_IDENTIFIER,
      P.MODEL_NAME,
      P.FIRMWARE_REVISION,
      P.APPLICATION_SOFTWARE_VERSION,
      P.PROTOCOL_VERSION,
      P.PROTOCOL_REVISION,
      P.PROTOCOL_SERVICES_SUPPORTED,
      P.PROTOCOL_OBJECT_TYPES_SUPPORTED,
      P.OBJECT_LIST,
      P.MAX_APDU_LENGTH_ACCEPTED,
      P.SEGMENTATION_SUPPORTED,
      P.APDU_TIMEOUT,
      P.NUMBER_OF_APDU_RETRIES,
      P.DEVICE_ADDRESS_BINDING,
      P.DATABASE_REVISION,
    ],
    optional: [P.DESCRIPTION, P.LOCATION, P.STRUCTURED_OBJECT_LIST],
  },
  [ObjectType.ANALOG_INPUT]: {
    required: [...IO_REQUIRED, P.UNITS],
    optional: [P.DESCRIPTION, P.RELIABILITY, P.COV_INCREMENT, P.MIN_PRES_VALUE, P.MAX_PRES_VALUE, P.RESOLUTION],
  },
  [ObjectType.BINARY_INPUT]: {
    required: [...IO_REQUIRED, P.POLARITY],
    optional: [P.DESCRIPTION, P.RELIABILITY, P.ACTIVE_TEXT, P.INACTIVE_TEXT],
  },
  [ObjectType.BINARY_VALUE]: {
    required: IO_REQUIRED,
    optional: [P.DESCRIPTION, P.RELIABILITY, P.ACTIVE_TEXT, P.INACTIVE_TEXT],
  },
  [ObjectType.MULTI_STATE_INPUT]: {
    required: [...IO_REQUIRED, P.NUMBER_OF_STATES],
    optional: [P.DESCRIPTION, P.RELIABILITY, P.STATE_TEXT],
  },
  [ObjectType.STRUCTURED_VIEW]: {
    required: [...COMMON_REQUIRED, P.NODE_TYPE, P.SUBORDINATE_LIST],
    optional: [P.DESCRIPTION],
  },
};

/** Required then optional properties per object type (ALL), filled on first use. */
const ALL_PROPERTIES = new Map<number, readonly number[]>();

/** Node_Type values of the Structured View (BACnetNodeType). */
const NODE_TYPE_SYSTEM = 9;
const NODE_TYPE_COLLECTION = 4;

/** The value of an input object at one snapshot, with its status. */
export interface ObjectState {
  /** REAL for analog, 0/1 for binary, 1-based state for multi-state. */
  readonly value: number;
  readonly fault: boolean;
  readonly reliability: number;
}

function reliabilityOf(sample: Sample, range: readonly [number, number]): number {
  switch (sample.quality) {
    case "good":
      return Reliability.NO_FAULT_DETECTED;
    case "comm-lost":
      return Reliability.COMMUNICATION_FAILURE;
    case "fault":
      if (sample.value > range[1]) return Reliability.OVER_RANGE;
      if (sample.value < range[0]) return Reliability.UNDER_RANGE;
      return Reliability.UNRELIABLE_OTHER;
    default:
      // stale: not read yet or too old; the value cannot be trusted
      return sample.time === 0 ? Reliability.NO_SENSOR : Reliability.UNRELIABLE_OTHER;
  }
}

/** Active alarms by the keys our binary inputs ask about; computed once per snapshot. */
interface AlarmIndex {
  readonly version: number;
  readonly keys: Set<string>;
}

function indexAlarms(version: number, alarms: readonly ActiveAlarm[]): AlarmIndex {
  const keys = new Set<string>();
  for (const a of alarms) {
    keys.add(`e${a.eventId}/s${a.stringId ?? 0}`);
    if (a.block !== undefined && a.stringId !== undefined) keys.add(`b${a.stringId}/${a.block}`);
  }
  return { version, keys };
}

/** An array property read element by element, so long lists (Object_List) are never built to read one entry. */
interface ArrayValue {
  readonly length: number;
  /** 0-based element. */
  at(index: number): AppValue;
}

function arrayOf(values: readonly AppValue[]): ArrayValue {
  return { length: values.length, at: (i) => values[i] as AppValue };
}

export class DeviceModel {
  readonly device: BacnetObject;
  private readonly space: DeviceObjects;
  private alarmIndex: AlarmIndex = { version: -1, keys: new Set() };
  private readonly objectTypesSupported: AppValue;
  readonly databaseRevision: number;

  constructor(
    private readonly topology: PlantTopology,
    private readonly config: BacnetConfig,
    private readonly identity: DeviceIdentity,
  ) {
    const problems = checkInstanceRanges(topology, config.blockObjects);
    if (problems.length > 0)
      throw new Error(
        `bacnet: the plant does not fit the object numbering (E_BACNET_INSTANCE_RANGE): ${problems.join("; ")}`,
      );
    this.space = new DeviceObjects(topology, {
      blockObjects: config.blockObjects,
      deviceInstance: config.deviceInstance,
      siteName: topology.site.name,
      deviceName: config.deviceName ?? topology.site.name,
      deviceDescription: topology.site.description || `Battery monitoring gateway, ${topology.site.name}`,
      cov: config.cov,
    });
    this.device = this.space.device;
    this.objectTypesSupported = bitString(63, [...this.space.types()]);
    // Changes whenever the object set changes, so workstations know to re-read the object list.
    this.databaseRevision = this.space.count % 0xffff;
  }

  /** Number of objects, the Device object included. */
  get objectCount(): number {
    return this.space.count;
  }

  /** Every object in Object_List order; block objects are made as the iteration reaches them, not kept. */
  objects(): IterableIterator<BacnetObject> {
    return this.space[Symbol.iterator]();
  }

  /** objectKey of the object showing a model point at a row (for COV), if the device has one. */
  keyOfPoint(point: string, row: number): number | undefined {
    return this.space.keyOfPoint(point, row);
  }

  get vendorId(): number {
    return this.config.vendorId;
  }

  find(type: number, instance: number): BacnetObject | undefined {
    // 4194303 addresses "this device" whatever its configured instance (used by discovery tools).
    if (type === ObjectType.DEVICE && instance === 0x3fffff) return this.device;
    return this.space.find(type, instance);
  }

  findByName(name: string): BacnetObject | undefined {
    return this.space.findByName(name);
  }

  propertiesOf(object: BacnetObject, which: "all" | "required" | "optional"): readonly number[] {
    const set = PROPERTIES[object.type] ?? { required: COMMON_REQUIRED, optional: [] };
    if (which === "required") return set.required;
    if (which === "optional") return set.optional;
    // Every read checks this list: build it once per object type, not per read.
    let all = ALL_PROPERTIES.get(object.type);
    if (!all) {
      all = [...set.required, ...set.optional];
      ALL_PROPERTIES.set(object.type, all);
    }
    return all;
  }

  /** Reads one property; `index` is the array index or ARRAY_ALL. */
  read(object: BacnetObject, property: number, index: number, snapshot: PlantSnapshot): ReadResult {
    const props = this.propertiesOf(object, "all");
    if (!props.includes(property)) return err(ErrorClass.PROPERTY, ErrorCode.UNKNOWN_PROPERTY);
    if (property === P.DEVICE_ADDRESS_BINDING)
      return index === ARRAY_ALL
        ? { ok: true, values: [] }
        : err(ErrorClass.PROPERTY, ErrorCode.PROPERTY_IS_NOT_AN_ARRAY);
    const array = this.arrayProperty(object, property);
    if (array) {
      if (index === ARRAY_ALL) return { ok: true, values: Array.from({ length: array.length }, (_, i) => array.at(i)) };
      if (index === 0) return { ok: true, values: [uint(array.length)] };
      return index <= array.length
        ? { ok: true, values: [array.at(index - 1)] }
        : err(ErrorClass.PROPERTY, ErrorCode.INVALID_ARRAY_INDEX);
    }
    if (index !== ARRAY_ALL) return err(ErrorClass.PROPERTY, ErrorCode.PROPERTY_IS_NOT_AN_ARRAY);
    const value = this.scalar(object, property, snapshot);
    return value ? { ok: true, values: [value] } : err(ErrorClass.PROPERTY, ErrorCode.UNKNOWN_PROPERTY);
  }

  /** Number of elements of an array property without building it (for size checks), or undefined. */
  arrayLength(object: BacnetObject, property: number): number | undefined {
    return this.arrayProperty(object, property)?.length;
  }

  private arrayProperty(object: BacnetObject, property: number): ArrayValue | undefined {
    if (property === P.PROPERTY_LIST)
      return arrayOf(
        this.propertiesOf(object, "all")
          .filter(
            (p) => p !== P.OBJECT_IDENTIFIER && p !== P.OBJECT_NAME && p !== P.OBJECT_TYPE && p !== P.PROPERTY_LIST,
          )
          .map(enumerated),
      );
    const space = this.space;
    if (object.kind === "device" && property === P.OBJECT_LIST)
      return { length: space.count, at: (i) => objectOid(space.at(i) ?? object) };
    if (object.kind === "device" && property === P.STRUCTURED_OBJECT_LIST)
      return arrayOf(space.structuredViews.map(objectOid));
    if (object.type === ObjectType.MULTI_STATE_INPUT && property === P.STATE_TEXT)
      return arrayOf((object.states ?? []).map(str));
    if (object.kind === "view" && property === P.SUBORDINATE_LIST) {
      const members = space.members(object);
      return {
        length: members.length,
        at: (i) => {
          const m = space.at(members.start + i) ?? object;
          return { type: OBJECT_REFERENCE, value: { type: m.type, instance: m.instance } };
        },
      };
    }
    return undefined;
  }

  /** Current value and status of an input/value object. */
  state(object: BacnetObject, snapshot: PlantSnapshot): ObjectState {
    const point = object.point;
    if (object.kind === "point" && point) {
      const sample = snapshot.sample(point.id as PointId, object.row);
      const reliability = reliabilityOf(sample, point.range);
      const fault = reliability !== Reliability.NO_FAULT_DETECTED;
      if (object.type === ObjectType.MULTI_STATE_INPUT) {
        const n = object.states?.length ?? 1;
        const v = Number.isFinite(sample.value) ? Math.min(Math.max(Math.round(sample.value), 0), n - 1) : 0;
        return { value: v + 1, fault, reliability };
      }
      if (object.type === ObjectType.BINARY_INPUT || object.type === ObjectType.BINARY_VALUE)
        return { value: sample.value >= 0.5 ? 1 : 0, fault, reliability };
      return { value: sample.value, fault, reliability };
    }
    if (object.kind === "alarm" || object.kind === "block-alarm") {
      if (this.alarmIndex.version !== snapshot.version)
        this.alarmIndex = indexAlarms(snapshot.version, snapshot.alarms);
      const stringId = object.owner?.id ?? 0;
      const key = object.event ? `e${object.event.eventId}/s${stringId}` : `b${stringId}/${object.block}`;
      return { value: this.alarmIndex.keys.has(key) ? 1 : 0, fault: false, reliability: Reliability.NO_FAULT_DETECTED };
    }
    return { value: 0, fault: false, reliability: Reliability.NO_FAULT_DETECTED };
  }

  statusFlags(state: ObjectState): AppValue {
    return bitString(4, state.fault ? [1] : []);
  }

  presentValue(object: BacnetObject, state: ObjectState): AppValue {
    if (object.type === ObjectType.ANALOG_INPUT) return real(state.value);
    if (object.type === ObjectType.MULTI_STATE_INPUT) return uint(state.value);
    return enumerated(state.value);
  }

  private scalar(object: BacnetObject, property: number, snapshot: PlantSnapshot): AppValue | undefined {
    switch (property) {
      case P.OBJECT_IDENTIFIER:
        return oid(object.type, object.instance);
      case P.OBJECT_NAME:
        return str(object.name);
      case P.OBJECT_TYPE:
        return enumerated(object.type);
      case P.DESCRIPTION:
        return str(object.description);
    }
    if (object.type === ObjectType.DEVICE) return this.deviceProperty(property);
    if (object.type === ObjectType.STRUCTURED_VIEW)
      return property === P.NODE_TYPE
        ? enumerated(object.instance === 0 ? NODE_TYPE_SYSTEM : NODE_TYPE_COLLECTION)
        : undefined;
    const state = this.state(object, snapshot);
    switch (property) {
      case P.PRESENT_VALUE:
        return this.presentValue(object, state);
      case P.STATUS_FLAGS:
        return this.statusFlags(state);
      case P.EVENT_STATE:
        return enumerated(0); // normal: no intrinsic reporting
      case P.OUT_OF_SERVICE:
        return bool(false);
      case P.RELIABILITY:
        return enumerated(state.reliability);
      case P.UNITS:
        return enumerated(object.units ?? 95);
      case P.COV_INCREMENT:
        return real(object.covIncrement ?? 0);
      case P.MIN_PRES_VALUE:
        return object.point ? real(object.point.range[0]) : undefined;
      case P.MAX_PRES_VALUE:
        return object.point ? real(object.point.range[1]) : undefined;
      case P.RESOLUTION:
        return object.point ? real(object.point.resolution) : undefined;
      case P.POLARITY:
        return enumerated(0);
      case P.ACTIVE_TEXT:
        return str(object.kind === "point" ? "on" : "alarm");
      case P.INACTIVE_TEXT:
        return str(object.kind === "point" ? "off" : "normal");
      case P.NUMBER_OF_STATES:
        return uint(object.states?.length ?? 0);
    }
    return undefined;
  }

  private deviceProperty(property: number): AppValue | undefined {
    const c = this.config;
    switch (property) {
      case P.SYSTEM_STATUS:
        return enumerated(0); // operational
      case P.VENDOR_NAME:
        return str(this.identity.vendorName);
      case P.VENDOR_IDENTIFIER:
        return uint(c.vendorId);
      case P.MODEL_NAME:
        return str(this.identity.modelName);
      case P.FIRMWARE_REVISION:
        return str(this.identity.firmwareRevision);
      case P.APPLICATION_SOFTWARE_VERSION:
        return str(this.identity.applicationSoftwareVersion);
      case P.LOCATION:
        return str(this.topology.site.location);
      case P.PROTOCOL_VERSION:
        return uint(1);
      case P.PROTOCOL_REVISION:
        return uint(14);
      case P.PROTOCOL_SERVICES_SUPPORTED:
        return bitString(41, SERVICES_SUPPORTED);
      case P.PROTOCOL_OBJECT_TYPES_SUPPORTED:
        return this.objectTypesSupported;
      case P.MAX_APDU_LENGTH_ACCEPTED:
        return uint(MAX_APDU);
      case P.SEGMENTATION_SUPPORTED:
        return enumerated(Segmentation.NO_SEGMENTATION);
      case P.APDU_TIMEOUT:
        return uint(3000);
      case P.NUMBER_OF_APDU_RETRIES:
        return uint(0);
      case P.DEVICE_ADDRESS_BINDING:
        return undefined; // empty list, handled by the encoder
      case P.DATABASE_REVISION:
        return uint(this.databaseRevision);
    }
    return undefined;
  }
}
