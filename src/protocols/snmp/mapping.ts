/**
 * The projection of the point and event catalogues onto our SNMP MIB (BMS-GATEWAY-MIB). Both the generated MIB text
 * and the agent read this layout, so what the MIB declares is what the agent serves.
 *
 * OIDs are explicit: a point's columns derive from its stable `number` (value column 10 + n, status column 50 + n),
 * never from declaration order, so adding a point never moves an existing OID.
 */
import { EVENT_CATALOGUE } from "../../core/alarms/catalogue.js";
import { POINTS, type PointDefinition, type PointScope } from "../../core/points.js";

/**
 * The one enterprise number. 32473 is RFC 5612's documentation placeholder; replace it here (and regenerate) once the
 * project has registered its own Private Enterprise Number.
 */
export const ENTERPRISE_NUMBER = 32473;
export const ENTERPRISES = [1, 3, 6, 1, 4, 1] as const;
export const MIB_MODULE = "BMS-GATEWAY-MIB";
/** bmsGatewayMIB — the module identity sits directly on the enterprise number. */
export const MIB_ROOT: readonly number[] = [...ENTERPRISES, ENTERPRISE_NUMBER];
export const NOTIFICATIONS_ROOT: readonly number[] = [...MIB_ROOT, 0];
export const OBJECTS_ROOT: readonly number[] = [...MIB_ROOT, 1];
export const CONFORMANCE_ROOT: readonly number[] = [...MIB_ROOT, 2];
/** sysObjectID of the gateway: bmsProductGateway. */
export const PRODUCT_OID: readonly number[] = [...MIB_ROOT, 3, 1];

export const POINT_VALUE_COLUMN_BASE = 10;
export const POINT_STATUS_COLUMN_BASE = 50;
const MAX_POINT_NUMBER = POINT_STATUS_COLUMN_BASE - POINT_VALUE_COLUMN_BASE - 1;

/** How a value appears on the wire and in the MIB. */
export type Syntax =
  | { readonly kind: "integer"; readonly scale: 1 | 10 | 1000 }
  | { readonly kind: "enum"; readonly states: readonly string[] }
  | { readonly kind: "truth" }
  | { readonly kind: "quality" }
  | { readonly kind: "severity" }
  | { readonly kind: "text" }
  | { readonly kind: "unsigned" }
  | { readonly kind: "counter" }
  | { readonly kind: "index" };

export type Access = "not-accessible" | "read-only" | "read-write" | "accessible-for-notify";

export interface ObjectDef {
  readonly name: string;
  /** Sub-identifier under its parent (scalar group or table entry). */
  readonly sub: number;
  readonly syntax: Syntax;
  readonly access: Access;
  readonly description: string;
  readonly units?: string;
  /** The point this object projects, with `status` for its quality column. */
  readonly point?: { readonly id: string; readonly status: boolean };
}

export interface ScalarGroupDef {
  readonly name: string;
  readonly oid: readonly number[];
  readonly description: string;
  readonly objects: readonly ObjectDef[];
}

export interface TableDef {
  readonly name: string;
  readonly entryName: string;
  readonly entryType: string;
  readonly oid: readonly number[];
  readonly description: string;
  readonly index: readonly string[];
  readonly columns: readonly ObjectDef[];
}

export const QUALITY_VALUES = { good: 1, stale: 2, "comm-lost": 3, fault: 4 } as const;
export const SEVERITY_VALUES = { info: 1, warning: 2, critical: 3 } as const;

/** `block.voltage` → `Voltage`; `system.ambientTemperature` → `AmbientTemperature`. */
function pointSuffix(id: string): string {
  const local = id.slice(id.indexOf(".") + 1);
  return local.charAt(0).toUpperCase() + local.slice(1);
}

/** Wire scale of a point: integers in the point's resolution (mV, 0.1 °C, µΩ, 0.1 %). */
export function pointScale(p: PointDefinition): 1 | 10 | 1000 {
  if (p.type !== "float") return 1;
  if (p.resolution <= 0.001) return 1000;
  if (p.resolution <= 0.1) return 10;
  return 1;
}

function unitText(p: PointDefinition): string | undefined {
  const scale = pointScale(p);
  const unit = { V: "V", A: "A", "°C": "degC", mΩ: "mOhm", "%": "%", "%RH": "%RH", Ah: "Ah", s: "s", "": "" }[p.unit];
  // The BmsMilli/BmsDeci display hints already place the decimal point, so UNITS names the base unit.
  if (!unit || !scale) return undefined;
  return unit;
}

function pointSyntax(p: PointDefinition): Syntax {
  if (p.type === "boolean") return { kind: "truth" };
  if (p.type === "enum") return { kind: "enum", states: p.states ?? [] };
  return { kind: "integer", scale: pointScale(p) };
}

/** The value and status objects of every point of a scope, named with `prefix`. */
function pointObjects(scope: PointScope, prefix: string): ObjectDef[] {
  const objects: ObjectDef[] = [];
  for (const p of POINTS.filter((q) => q.scope === scope)) {
    if (p.number < 1 || p.number > MAX_POINT_NUMBER)
      throw new Error(`point ${p.id}: number ${p.number} does not fit the SNMP column layout (1..${MAX_POINT_NUMBER})`);
    const scale = pointScale(p);
    const scaleText = scale === 1 ? "" : ` Integer in units of ${1 / scale} ${p.unit}.`;
    const units = unitText(p);
    objects.push({
      name: `${prefix}${pointSuffix(p.id)}`,
      sub: POINT_VALUE_COLUMN_BASE + p.number,
      syntax: pointSyntax(p),
      access: "read-only",
      description: `${p.description}${scaleText} Point ${p.id}; valid when the matching status object is good(1).`,
      ...(units ? { units } : {}),
      point: { id: p.id, status: false },
    });
    objects.push({
      name: `${prefix}${pointSuffix(p.id)}Status`,
      sub: POINT_STATUS_COLUMN_BASE + p.number,
      syntax: { kind: "quality" },
      access: "read-only",
      description: `Quality of ${prefix}${pointSuffix(p.id)}.`,
      point: { id: p.id, status: true },
    });
  }
  return objects.sort((a, b) => a.sub - b.sub);
}

const ro = (name: string, sub: number, syntax: Syntax, description: string, units?: string): ObjectDef => ({
  name,
  sub,
  syntax,
  access: "read-only",
  description,
  ...(units ? { units } : {}),
});

export const IDENTITY: ScalarGroupDef = {
  name: "bmsIdentity",
  oid: [...OBJECTS_ROOT, 1],
  description: "Identity of the gateway and its site.",
  objects: [
    ro("bmsIdentProduct", 1, { kind: "text" }, "Product name of the gateway software."),
    ro("bmsIdentSoftwareVersion", 2, { kind: "text" }, "Version of the gateway software."),
    ro("bmsIdentSiteName", 3, { kind: "text" }, "Configured site name."),
    ro("bmsIdentSiteLocation", 4, { kind: "text" }, "Configured site location."),
    ro("bmsIdentSiteContact", 5, { kind: "text" }, "Configured site contact."),
  ],
};

export const PLANT: ScalarGroupDef = {
  name: "bmsPlant",
  oid: [...OBJECTS_ROOT, 2],
  description: "Plant summary: sizes, active alarm counts and the system-scope points.",
  objects: [
    ro("bmsPlantStringCount", 1, { kind: "unsigned" }, "Number of configured strings."),
    ro("bmsPlantBlockCount", 2, { kind: "unsigned" }, "Number of blocks in all strings."),
    ro("bmsPlantAlarmsCritical", 3, { kind: "unsigned" }, "Active critical alarms."),
    ro("bmsPlantAlarmsWarning", 4, { kind: "unsigned" }, "Active warning alarms."),
    ro("bmsPlantAlarmsInfo", 5, { kind: "unsigned" }, "Active info alarms."),
    ro("bmsPlantAlarmsUnacknowledged", 6, { kind: "unsigned" }, "Active alarms not yet acknowledged."),
    ...pointObjects("system", "bmsPlant"),
  ],
};

const indexColumn = (name: string, sub: number, description: string): ObjectDef => ({
  name,
  sub,
  syntax: { kind: "index" },
  access: "not-accessible",
  description,
});

export const STRING_TABLE: TableDef = {
  name: "bmsStringTable",
  entryName: "bmsStringEntry",
  entryType: "BmsStringEntry",
  oid: [...OBJECTS_ROOT, 3],
  description: "One row per battery string.",
  index: ["bmsStringId"],
  columns: [
    indexColumn("bmsStringId", 1, "Configured string number."),
    ro("bmsStringName", 2, { kind: "text" }, "Configured string name."),
    ro("bmsStringBlockCount", 3, { kind: "unsigned" }, "Number of blocks in the string."),
    ro("bmsStringStatus", 4, { kind: "quality" }, "Worst quality of the string's measured points."),
    ...pointObjects("string", "bmsString"),
  ],
};

export const BLOCK_TABLE: TableDef = {
  name: "bmsBlockTable",
  entryName: "bmsBlockEntry",
  entryType: "BmsBlockEntry",
  oid: [...OBJECTS_ROOT, 4],
  description: "One row per block (cell or monobloc), indexed by string number and block number.",
  index: ["bmsBlockStringId", "bmsBlockNumber"],
  columns: [
    indexColumn("bmsBlockStringId", 1, "Configured number of the string the block belongs to."),
    indexColumn("bmsBlockNumber", 2, "1-based position of the block in its string."),
    ro("bmsBlockStatus", 3, { kind: "quality" }, "Worst quality of the block's measured points."),
    ...pointObjects("block", "bmsBlock"),
  ],
};

export const ALARM_TABLE: TableDef = {
  name: "bmsAlarmTable",
  entryName: "bmsAlarmEntry",
  entryType: "BmsAlarmEntry",
  oid: [...OBJECTS_ROOT, 5],
  description: "Active alarms, one row per occurrence.",
  index: ["bmsAlarmId"],
  columns: [
    indexColumn("bmsAlarmId", 1, "Unique number of this alarm occurrence."),
    ro("bmsAlarmEventId", 2, { kind: "unsigned" }, "Event id from the event catalogue."),
    ro("bmsAlarmName", 3, { kind: "text" }, "Event name from the event catalogue."),
    ro("bmsAlarmSeverity", 4, { kind: "severity" }, "Severity of the alarm."),
    ro("bmsAlarmStringId", 5, { kind: "unsigned" }, "String number the alarm concerns; 0 when none."),
    ro("bmsAlarmBlock", 6, { kind: "unsigned" }, "Block number the alarm concerns; 0 when none."),
    ro("bmsAlarmRaisedAt", 7, { kind: "unsigned" }, "Time the alarm was raised, seconds since 1970-01-01 UTC.", "s"),
    ro("bmsAlarmValue", 8, { kind: "integer", scale: 1000 }, "Value that raised the alarm, in thousandths."),
    ro("bmsAlarmThreshold", 9, { kind: "integer", scale: 1000 }, "Threshold that was crossed, in thousandths."),
    ro("bmsAlarmText", 10, { kind: "text" }, "Human-readable text."),
    ro("bmsAlarmAcknowledged", 11, { kind: "truth" }, "Whether the alarm has been acknowledged."),
  ],
};

export const COUNTER_TABLE: TableDef = {
  name: "bmsEventCounterTable",
  entryName: "bmsEventCounterEntry",
  entryType: "BmsEventCounterEntry",
  oid: [...OBJECTS_ROOT, 6],
  description: "Occurrences of every catalogue event since the gateway started.",
  index: ["bmsEventCounterEventId"],
  columns: [
    indexColumn("bmsEventCounterEventId", 1, "Event id from the event catalogue."),
    ro("bmsEventCounterName", 2, { kind: "text" }, "Event name from the event catalogue."),
    ro("bmsEventCounterRaised", 3, { kind: "counter" }, "Times the alarm was raised or the event occurred."),
    ro("bmsEventCounterCleared", 4, { kind: "counter" }, "Times the alarm was cleared."),
  ],
};

export const THRESHOLD_TABLE: TableDef = {
  name: "bmsThresholdTable",
  entryName: "bmsThresholdEntry",
  entryType: "BmsThresholdEntry",
  oid: [...OBJECTS_ROOT, 7],
  description:
    "Plant-wide alarm settings of the gateway's settings catalogue, one row per setting, with the value in force. Writable by SNMPv3 admin users (authPriv) only; a change is validated with the configuration schema, written to the configuration file, applied to the alarms at once and audited.",
  index: ["bmsThresholdIndex"],
  columns: [
    indexColumn("bmsThresholdIndex", 1, "Stable number of the setting in the settings catalogue."),
    ro(
      "bmsThresholdName",
      2,
      { kind: "text" },
      "Setting name from the settings catalogue, e.g. blockVoltageHighAlarm.",
    ),
    {
      name: "bmsThresholdValue",
      sub: 3,
      syntax: { kind: "integer", scale: 1 },
      access: "read-write",
      description:
        "Value of the setting times bmsThresholdScale, as an integer: 14600 with scale 1000 is 14.6 (bmsThresholdUnit). A SET carries the same integer; a value the configuration rejects gets wrongValue.",
    },
    ro("bmsThresholdUnit", 4, { kind: "text" }, "Engineering unit of the setting (before scaling), e.g. V."),
    ro(
      "bmsThresholdScale",
      5,
      { kind: "unsigned" },
      "Integer scale of bmsThresholdValue: the value in bmsThresholdUnit is bmsThresholdValue / bmsThresholdScale.",
    ),
  ],
};

const notify = (name: string, sub: number, syntax: Syntax, description: string): ObjectDef => ({
  name,
  sub,
  syntax,
  access: "accessible-for-notify",
  description,
});

export const NOTIFICATION_OBJECTS: ScalarGroupDef = {
  name: "bmsNotificationObjects",
  oid: [...OBJECTS_ROOT, 8],
  description: "Objects carried by the notifications.",
  objects: [
    notify("bmsNotifStringId", 1, { kind: "unsigned" }, "String number; 0 when the event concerns no string."),
    notify("bmsNotifBlock", 2, { kind: "unsigned" }, "Block number; 0 when the event concerns no block."),
    notify("bmsNotifEventId", 3, { kind: "unsigned" }, "Event id from the event catalogue."),
    notify("bmsNotifSeverity", 4, { kind: "severity" }, "Severity of the event."),
    notify("bmsNotifValue", 5, { kind: "integer", scale: 1000 }, "Measured value, in thousandths; 0 when none."),
    notify("bmsNotifThreshold", 6, { kind: "integer", scale: 1000 }, "Threshold, in thousandths; 0 when none."),
    notify("bmsNotifText", 7, { kind: "text" }, "Human-readable text."),
    notify("bmsNotifEventName", 8, { kind: "text" }, "Event name from the event catalogue."),
  ],
};

export interface NotificationDef {
  readonly name: string;
  readonly sub: number;
  readonly kind: "alarm-raised" | "alarm-cleared";
  readonly description: string;
}

export const NOTIFICATIONS: readonly NotificationDef[] = [
  { name: "bmsAlarmRaised", sub: 1, kind: "alarm-raised", description: "An alarm was raised." },
  { name: "bmsAlarmCleared", sub: 2, kind: "alarm-cleared", description: "An alarm was cleared." },
];

export const SCALAR_GROUPS: readonly ScalarGroupDef[] = [IDENTITY, PLANT];
export const TABLES: readonly TableDef[] = [STRING_TABLE, BLOCK_TABLE, ALARM_TABLE, COUNTER_TABLE, THRESHOLD_TABLE];

/** Rows of the event counter table: every catalogue entry, by event id. */
export const COUNTED_EVENTS = [...EVENT_CATALOGUE].sort((a, b) => a.eventId - b.eventId);

export function objectOid(parent: readonly number[], object: ObjectDef, isTable: boolean): number[] {
  return isTable ? [...parent, 1, object.sub] : [...parent, object.sub];
}

/** Converts a catalogue value to the wire integer of a syntax (scaled, rounded, clamped to Integer32). */
export function toWireInteger(value: number | undefined, scale: number): number {
  if (value === undefined || !Number.isFinite(value)) return 0;
  const scaled = Math.round(value * scale);
  return Math.max(-2147483648, Math.min(2147483647, scaled));
}
