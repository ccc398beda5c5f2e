/**
 * What the agent serves: one sorted OID index over the MIB-2 system group, the SNMP/engine/USM counters and our
 * MIB, with the wire encoding of each varbind cached per snapshot. Lookups are binary searches; GETNEXT/GETBULK
 * walk the array, so a bulk step costs O(1) per varbind instead of re-sorting sibling keys.
 */
import type { ActiveAlarm } from "../../core/events.js";
import { type PlantSnapshot, Q_GOOD } from "../../core/model.js";
import { type PointId, pointById } from "../../core/points.js";
import type { PlantTopology } from "../../core/topology.js";
import { BATTERY_COLUMNS, BATTERY_TABLE_OID, batteryInstances } from "./battery-mib.js";
import {
  compareOid,
  encodeInteger,
  encodeOctetString,
  encodeOid,
  encodeOidContent,
  encodeUnsigned,
  header,
  TAG,
} from "./ber.js";
import {
  ALARM_TABLE,
  BLOCK_TABLE,
  COUNTED_EVENTS,
  COUNTER_TABLE,
  IDENTITY,
  type ObjectDef,
  PLANT,
  PRODUCT_OID,
  SEVERITY_VALUES,
  STRING_TABLE,
  type Syntax,
  type TableDef,
  THRESHOLD_TABLE,
  toWireInteger,
} from "./mapping.js";

/** A readable (or writable) instance: its OID, how to encode its value, and whether the value is per-snapshot. */
export interface Entry {
  readonly oid: readonly number[];
  /** Encodes the value TLV. */
  readonly read: (snapshot: PlantSnapshot) => Buffer;
  /** True when the value only changes with the snapshot (so its encoding can be cached). */
  readonly cacheable: boolean;
  /** Present on writable instances: the syntax a SET must carry. */
  readonly writable?: { readonly syntax: Syntax; readonly thresholdIndex: number; readonly scale: number };
}

/** A runtime-writable alarm setting, exposed by whoever owns the alarm thresholds. */
export interface ThresholdSetting {
  readonly index: number;
  readonly name: string;
  /** Engineering value in `unit`; the wire carries value × scale as an integer. */
  readonly value: number;
  readonly unit: string;
  readonly scale: number;
}

export interface ThresholdAccess {
  list(): readonly ThresholdSetting[];
  write(index: number, value: number, user: string): Promise<{ ok: true } | { ok: false; reason: string }>;
}

/** Counters the agent keeps (RFC 3418 snmp group, RFC 3414 usmStats). */
export interface AgentCounters {
  inPkts: number;
  outPkts: number;
  inBadVersions: number;
  inBadCommunityNames: number;
  inBadCommunityUses: number;
  inAsnParseErrs: number;
  silentDrops: number;
  unsupportedSecLevels: number;
  notInTimeWindows: number;
  unknownUserNames: number;
  unknownEngineIds: number;
  wrongDigests: number;
  decryptionErrors: number;
  unknownSecurityModels: number;
  invalidMsgs: number;
  unknownPduHandlers: number;
}

export function newCounters(): AgentCounters {
  return {
    inPkts: 0,
    outPkts: 0,
    inBadVersions: 0,
    inBadCommunityNames: 0,
    inBadCommunityUses: 0,
    inAsnParseErrs: 0,
    silentDrops: 0,
    unsupportedSecLevels: 0,
    notInTimeWindows: 0,
    unknownUserNames: 0,
    unknownEngineIds: 0,
    wrongDigests: 0,
    decryptionErrors: 0,
    unknownSecurityModels: 0,
    invalidMsgs: 0,
    unknownPduHandlers: 0,
  };
}

export interface ViewSources {
  readonly topology: PlantTopology;
  readonly softwareVersion: string;
  readonly engineId: Buffer;
  readonly engineBoots: number;
  /** snmpEngineTime in seconds. */
  engineTime(): number;
  /** sysUpTime in hundredths of a second. */
  upTime(): number;
  readonly counters: AgentCounters;
  /** Raised/cleared counts by event id. */
  readonly eventCounts: ReadonlyMap<number, { raised: number; cleared: number }>;
  readonly thresholds?: ThresholdAccess;
}

const SYSTEM = [1, 3, 6, 1, 2, 1, 1];
const SNMP_GROUP = [1, 3, 6, 1, 2, 1, 11];
const SNMP_ENGINE = [1, 3, 6, 1, 6, 3, 10, 2, 1];
const MPD_STATS = [1, 3, 6, 1, 6, 3, 11, 2, 1];
export const USM_STATS = [1, 3, 6, 1, 6, 3, 15, 1, 1];

const truth = (b: boolean) => encodeInteger(b ? 1 : 2);

function encodeSyntaxValue(syntax: Syntax, value: number | string | undefined): Buffer {
  switch (syntax.kind) {
    case "text":
      return encodeOctetString(String(value ?? ""));
    case "integer":
      return encodeInteger(toWireInteger(typeof value === "number" ? value : undefined, syntax.scale));
    case "enum":
      return encodeInteger(typeof value === "number" && Number.isFinite(value) ? Math.round(value) : 0);
    case "truth":
      return truth(typeof value === "number" && value !== 0 && Number.isFinite(value));
    case "quality":
      return encodeInteger((typeof value === "number" ? value : 1) + 1);
    case "severity":
      return encodeInteger(typeof value === "number" ? value : 1);
    case "unsigned":
      return encodeUnsigned(typeof value === "number" && Number.isFinite(value) ? value : 0, TAG.gauge32);
    case "counter":
      return encodeUnsigned(typeof value === "number" ? value : 0, TAG.counter32);
    case "index":
      return encodeUnsigned(typeof value === "number" ? value : 0, TAG.gauge32);
  }
}

/** Worst quality code (good 0 < stale 1 < comm-lost 2 < fault 3) over the measured points of a row. */
function rowQuality(snapshot: PlantSnapshot, points: readonly PointId[], row: number): number {
  let worst = Q_GOOD;
  for (const p of points) {
    const q = snapshot.column(p).quality[row] ?? 1;
    if (q > worst) worst = q;
  }
  return worst;
}

function pointReader(object: ObjectDef): (snapshot: PlantSnapshot, row: number) => Buffer {
  const point = object.point;
  if (!point) throw new Error(`${object.name} is not a point object`);
  const id = point.id as PointId;
  if (point.status)
    return (snapshot, row) => encodeSyntaxValue({ kind: "quality" }, snapshot.column(id).quality[row] ?? 1);
  const syntax = object.syntax;
  return (snapshot, row) => encodeSyntaxValue(syntax, snapshot.column(id).values[row]);
}

function column(table: TableDef, name: string): ObjectDef {
  const c = table.columns.find((col) => col.name === name);
  if (!c) throw new Error(`no column ${name} in ${table.name}`);
  return c;
}

const measured = (scope: "string" | "block") =>
  (scope === "string" ? STRING_TABLE : BLOCK_TABLE).columns
    .filter((c) => c.point && !c.point.status && pointById(c.point.id)?.source === "measured")
    .map((c) => c.point?.id as PointId);

/**
 * Builds the static part of the index (everything whose rows do not change at runtime) once; alarm and threshold
 * rows are merged in when they change.
 */
export class MibView {
  private readonly before: Entry[] = [];
  private readonly after: Entry[] = [];
  private entries: Entry[] = [];
  private alarmsRef: readonly ActiveAlarm[] | undefined;
  private thresholdsKey = "";
  private cacheVersion = -1;
  private cache: (Buffer | undefined)[] = [];
  /** OIDs of every object (scalar without `.0`, column), to tell noSuchObject from noSuchInstance. */
  private readonly objects = new Set<string>();

  constructor(private readonly sources: ViewSources) {
    this.buildStatic();
  }

  get size(): number {
    return this.entries.length;
  }

  /** Brings the index up to date with `snapshot`; returns it for chaining. */
  sync(snapshot: PlantSnapshot): this {
    const thresholdList = this.sources.thresholds?.list() ?? [];
    const thresholdsKey = thresholdList.map((t) => t.index).join(",");
    if (snapshot.alarms !== this.alarmsRef || thresholdsKey !== this.thresholdsKey || this.entries.length === 0) {
      this.alarmsRef = snapshot.alarms;
      this.thresholdsKey = thresholdsKey;
      this.entries = this.before.concat(this.alarmEntries(snapshot.alarms), this.after);
      this.insertThresholds(thresholdList);
      this.cacheVersion = -1;
    }
    if (this.cacheVersion !== snapshot.version) {
      this.cacheVersion = snapshot.version;
      this.cache = new Array(this.entries.length);
    }
    return this;
  }

  entry(i: number): Entry | undefined {
    return this.entries[i];
  }

  /** Index of the exact OID, or -1. */
  find(oid: readonly number[]): number {
    let lo = 0;
    let hi = this.entries.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const c = compareOid((this.entries[mid] as Entry).oid, oid);
      if (c === 0) return mid;
      if (c < 0) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /** Index of the first entry strictly after `oid` (may be `size` = end of MIB view). */
  next(oid: readonly number[]): number {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compareOid((this.entries[mid] as Entry).oid, oid) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The encoded varbind (SEQUENCE { name, value }) of entry `i`. */
  varbind(i: number, snapshot: PlantSnapshot): Buffer {
    const cached = this.cache[i];
    if (cached) return cached;
    const e = this.entries[i] as Entry;
    const name = encodeOidContent(e.oid);
    const value = e.read(snapshot);
    const len = 2 + name.length + value.length;
    const vb = Buffer.concat([header(TAG.sequence, len), header(TAG.oid, name.length), name, value]);
    if (e.cacheable) this.cache[i] = vb;
    return vb;
  }

  /** True when `oid` names an instance of a known object (GET then answers noSuchInstance, not noSuchObject). */
  isUnderObject(oid: readonly number[]): boolean {
    for (let n = oid.length - 1; n >= 7; n--) if (this.objects.has(oid.slice(0, n).join("."))) return true;
    return false;
  }

  private scalar(
    base: readonly number[],
    sub: number,
    read: (snapshot: PlantSnapshot) => Buffer,
    cacheable: boolean,
    into: Entry[],
  ) {
    this.objects.add([...base, sub].join("."));
    into.push({ oid: [...base, sub, 0], read, cacheable });
  }

  private buildStatic(): void {
    const s = this.sources;
    const { topology } = s;
    const site = topology.site;
    const constant = (b: Buffer) => () => b;
    const before = this.before;
    // MIB-2 system group (RFC 3418).
    const descr = `bms-gateway ${s.softwareVersion}: battery-monitoring gateway, ${topology.strings.length} strings, ${topology.blockCount} blocks`;
    this.scalar(SYSTEM, 1, constant(encodeOctetString(descr)), true, before);
    this.scalar(SYSTEM, 2, constant(encodeOid(PRODUCT_OID)), true, before);
    this.scalar(SYSTEM, 3, () => encodeUnsigned(s.upTime(), TAG.timeTicks), false, before);
    this.scalar(SYSTEM, 4, constant(encodeOctetString(site.contact)), true, before);
    this.scalar(SYSTEM, 5, constant(encodeOctetString(site.name)), true, before);
    this.scalar(SYSTEM, 6, constant(encodeOctetString(site.location)), true, before);
    this.scalar(SYSTEM, 7, constant(encodeInteger(72)), true, before);
    // snmp group (RFC 3418).
    const c = s.counters;
    const counter = (get: () => number) => () => encodeUnsigned(get(), TAG.counter32);
    const snmpGroup: [number, () => number][] = [
      [1, () => c.inPkts],
      [2, () => c.outPkts],
      [3, () => c.inBadVersions],
      [4, () => c.inBadCommunityNames],
      [5, () => c.inBadCommunityUses],
      [6, () => c.inAsnParseErrs],
    ];
    for (const [sub, get] of snmpGroup) this.scalar(SNMP_GROUP, sub, counter(get), false, before);
    this.scalar(SNMP_GROUP, 30, constant(encodeInteger(2)), true, before);
    this.scalar(
      SNMP_GROUP,
      31,
      counter(() => c.silentDrops),
      false,
      before,
    );
    this.scalar(SNMP_GROUP, 32, constant(encodeUnsigned(0, TAG.counter32)), true, before);
    // BATTERY-MIB (RFC 7577, mib-2 233) sorts between the snmp group and enterprises.
    for (const c of BATTERY_COLUMNS) this.objects.add([...BATTERY_TABLE_OID, 1, c.sub].join("."));
    for (const { oid, column, string } of batteryInstances(topology))
      before.push({ oid, read: (snapshot) => column.read(snapshot, string), cacheable: true });
    this.buildOurs(before);
    // snmpEngine group, MPD and USM stats (RFC 3411, 3412, 3414) sort after enterprises.
    const after = this.after;
    this.scalar(SNMP_ENGINE, 1, constant(encodeOctetString(s.engineId)), true, after);
    this.scalar(SNMP_ENGINE, 2, constant(encodeInteger(s.engineBoots)), true, after);
    this.scalar(SNMP_ENGINE, 3, () => encodeInteger(s.engineTime()), false, after);
    this.scalar(SNMP_ENGINE, 4, constant(encodeInteger(65507)), true, after);
    this.scalar(
      MPD_STATS,
      1,
      counter(() => c.unknownSecurityModels),
      false,
      after,
    );
    this.scalar(
      MPD_STATS,
      2,
      counter(() => c.invalidMsgs),
      false,
      after,
    );
    this.scalar(
      MPD_STATS,
      3,
      counter(() => c.unknownPduHandlers),
      false,
      after,
    );
    const usm: [number, () => number][] = [
      [1, () => c.unsupportedSecLevels],
      [2, () => c.notInTimeWindows],
      [3, () => c.unknownUserNames],
      [4, () => c.unknownEngineIds],
      [5, () => c.wrongDigests],
      [6, () => c.decryptionErrors],
    ];
    for (const [sub, get] of usm) this.scalar(USM_STATS, sub, counter(get), false, after);
  }

  private tableEntries(
    table: TableDef,
    rows: readonly { index: readonly number[]; row: number }[],
    readers: ReadonlyMap<string, (snapshot: PlantSnapshot, row: number) => Buffer>,
    cacheable: (c: ObjectDef) => boolean,
  ): Entry[] {
    const out: Entry[] = [];
    const entryOid = [...table.oid, 1];
    for (const col of table.columns) {
      if (col.access === "not-accessible") continue;
      const read = readers.get(col.name);
      if (!read) throw new Error(`no reader for ${col.name}`);
      const colOid = [...entryOid, col.sub];
      this.objects.add(colOid.join("."));
      const isCacheable = cacheable(col);
      for (const r of rows) {
        const row = r.row;
        out.push({ oid: [...colOid, ...r.index], read: (snapshot) => read(snapshot, row), cacheable: isCacheable });
      }
    }
    return out;
  }

  private buildOurs(into: Entry[]): void {
    const s = this.sources;
    const { topology } = s;
    const site = topology.site;
    const text = (t: string) => {
      const b = encodeOctetString(t);
      return () => b;
    };
    const ident = [
      text("bms-gateway"),
      text(s.softwareVersion),
      text(site.name),
      text(site.location),
      text(site.contact),
    ];
    IDENTITY.objects.forEach((o, i) => {
      this.scalar(IDENTITY.oid, o.sub, ident[i] as () => Buffer, true, into);
    });
    const gauge = (get: (snapshot: PlantSnapshot) => number) => (snapshot: PlantSnapshot) =>
      encodeUnsigned(get(snapshot), TAG.gauge32);
    const plant: Record<string, (snapshot: PlantSnapshot) => Buffer> = {
      bmsPlantStringCount: gauge(() => topology.strings.length),
      bmsPlantBlockCount: gauge(() => topology.blockCount),
      bmsPlantAlarmsCritical: gauge((x) => x.alarmSummary.critical),
      bmsPlantAlarmsWarning: gauge((x) => x.alarmSummary.warning),
      bmsPlantAlarmsInfo: gauge((x) => x.alarmSummary.info),
      bmsPlantAlarmsUnacknowledged: gauge((x) => x.alarmSummary.unacknowledged),
    };
    for (const o of PLANT.objects) {
      const read = plant[o.name] ?? ((snapshot: PlantSnapshot) => pointReader(o)(snapshot, 0));
      this.scalar(PLANT.oid, o.sub, read, true, into);
    }
    // String table, indexed by string id.
    const stringReaders = new Map<string, (snapshot: PlantSnapshot, row: number) => Buffer>();
    const stringNames = topology.strings.map((x) => encodeOctetString(x.name));
    const stringBlocks = topology.strings.map((x) => encodeUnsigned(x.blockCount, TAG.gauge32));
    const stringMeasured = measured("string");
    stringReaders.set("bmsStringName", (_, row) => stringNames[row] as Buffer);
    stringReaders.set("bmsStringBlockCount", (_, row) => stringBlocks[row] as Buffer);
    stringReaders.set("bmsStringStatus", (snapshot, row) =>
      encodeInteger(rowQuality(snapshot, stringMeasured, row) + 1),
    );
    for (const col of STRING_TABLE.columns) if (col.point) stringReaders.set(col.name, pointReader(col));
    const stringRows = [...topology.strings].sort((a, b) => a.id - b.id).map((x) => ({ index: [x.id], row: x.index }));
    for (const e of this.tableEntries(STRING_TABLE, stringRows, stringReaders, () => true)) into.push(e);
    // Block table, indexed by (string id, block number).
    const blockReaders = new Map<string, (snapshot: PlantSnapshot, row: number) => Buffer>();
    const blockMeasured = measured("block");
    blockReaders.set("bmsBlockStatus", (snapshot, row) => encodeInteger(rowQuality(snapshot, blockMeasured, row) + 1));
    for (const col of BLOCK_TABLE.columns) if (col.point) blockReaders.set(col.name, pointReader(col));
    const blockRows: { index: number[]; row: number }[] = [];
    for (const x of [...topology.strings].sort((a, b) => a.id - b.id))
      for (let b = 1; b <= x.blockCount; b++) blockRows.push({ index: [x.id, b], row: x.firstBlockRow + b - 1 });
    for (const e of this.tableEntries(BLOCK_TABLE, blockRows, blockReaders, () => true)) into.push(e);
    // Alarm table: a marker; rows are merged per snapshot (see sync). Register its column objects now.
    for (const col of ALARM_TABLE.columns)
      if (col.access !== "not-accessible") this.objects.add([...ALARM_TABLE.oid, 1, col.sub].join("."));
    // Event counters: one row per catalogue event; values live in `eventCounts`.
    const counterReaders = new Map<string, (snapshot: PlantSnapshot, row: number) => Buffer>();
    counterReaders.set("bmsEventCounterName", (_, row) => encodeOctetString(COUNTED_EVENTS[row]?.name ?? ""));
    const count = (row: number) => s.eventCounts.get(COUNTED_EVENTS[row]?.eventId ?? 0);
    counterReaders.set("bmsEventCounterRaised", (_, row) => encodeUnsigned(count(row)?.raised ?? 0, TAG.counter32));
    counterReaders.set("bmsEventCounterCleared", (_, row) => encodeUnsigned(count(row)?.cleared ?? 0, TAG.counter32));
    const counterRows = COUNTED_EVENTS.map((e, row) => ({ index: [e.eventId], row }));
    this.pendingAfterOurs = this.tableEntries(
      COUNTER_TABLE,
      counterRows,
      counterReaders,
      (col) => col.name === "bmsEventCounterName",
    );
    for (const col of THRESHOLD_TABLE.columns)
      if (col.access !== "not-accessible") this.objects.add([...THRESHOLD_TABLE.oid, 1, col.sub].join("."));
  }

  /** Counter rows sort after the alarm table; kept here until `sync` places them. */
  private pendingAfterOurs: Entry[] = [];

  private alarmEntries(alarms: readonly ActiveAlarm[]): Entry[] {
    const sorted = [...alarms].sort((a, b) => a.id - b.id);
    const readers = new Map<string, (snapshot: PlantSnapshot, row: number) => Buffer>();
    const at = (row: number) => sorted[row] as ActiveAlarm;
    const syntaxOf = (name: string) => column(ALARM_TABLE, name).syntax;
    readers.set("bmsAlarmEventId", (_, row) => encodeSyntaxValue(syntaxOf("bmsAlarmEventId"), at(row).eventId));
    readers.set("bmsAlarmName", (_, row) => encodeOctetString(at(row).name));
    readers.set("bmsAlarmSeverity", (_, row) => encodeInteger(SEVERITY_VALUES[at(row).severity]));
    readers.set("bmsAlarmStringId", (_, row) => encodeUnsigned(at(row).stringId ?? 0, TAG.gauge32));
    readers.set("bmsAlarmBlock", (_, row) => encodeUnsigned(at(row).block ?? 0, TAG.gauge32));
    readers.set("bmsAlarmRaisedAt", (_, row) => encodeUnsigned(Math.floor(at(row).raisedAt / 1000), TAG.gauge32));
    readers.set("bmsAlarmValue", (_, row) => encodeInteger(toWireInteger(at(row).value, 1000)));
    readers.set("bmsAlarmThreshold", (_, row) => encodeInteger(toWireInteger(at(row).threshold, 1000)));
    readers.set("bmsAlarmText", (_, row) => encodeOctetString(at(row).text));
    readers.set("bmsAlarmAcknowledged", (_, row) => truth(at(row).acknowledgedAt !== undefined));
    const rows = sorted
      .map((a, row) => ({ index: [a.id], row }))
      .filter((r) => Number.isInteger(r.index[0]) && (r.index[0] as number) > 0);
    const alarmRows = this.tableEntries(ALARM_TABLE, rows, readers, () => true);
    return alarmRows.concat(this.pendingAfterOurs);
  }

  private insertThresholds(list: readonly ThresholdSetting[]): void {
    if (list.length === 0) return;
    const rows = [...list].sort((a, b) => a.index - b.index);
    const valueSyntax = column(THRESHOLD_TABLE, "bmsThresholdValue").syntax;
    const entryOid = [...THRESHOLD_TABLE.oid, 1];
    const extra: Entry[] = [];
    const current = (index: number) => this.sources.thresholds?.list().find((t) => t.index === index);
    for (const col of THRESHOLD_TABLE.columns) {
      if (col.access === "not-accessible") continue;
      for (const t of rows) {
        const oid = [...entryOid, col.sub, t.index];
        if (col.name === "bmsThresholdName")
          extra.push({ oid, read: () => encodeOctetString(t.name), cacheable: true });
        if (col.name === "bmsThresholdUnit")
          extra.push({ oid, read: () => encodeOctetString(t.unit), cacheable: true });
        if (col.name === "bmsThresholdScale")
          extra.push({ oid, read: () => encodeSyntaxValue(col.syntax, t.scale), cacheable: true });
        if (col.name === "bmsThresholdValue")
          extra.push({
            oid,
            read: () => {
              const value = current(t.index)?.value;
              return encodeSyntaxValue(valueSyntax, value === undefined ? undefined : value * t.scale);
            },
            cacheable: false,
            writable: { syntax: valueSyntax, thresholdIndex: t.index, scale: t.scale },
          });
      }
    }
    // Thresholds sort after counters, before the snmpEngine group.
    const firstAfter = this.entries.length - this.after.length;
    this.entries.splice(firstAfter, 0, ...extra);
  }
}
