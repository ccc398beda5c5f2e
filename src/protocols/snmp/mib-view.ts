/**
 * What the agent serves: the MIB-2 system group, the SNMP/engine/USM counters, BATTERY-MIB and our MIB, as an ordered
 * list of segments. A segment is a table (or a scalar group, a table with the one row `.0`): its column OIDs, its
 * sorted row indexes and one writer per column. Cells are never materialised: position i of the view maps to
 * (segment, column, row) in column-major order, its OID is column OID + row index and its value is encoded on
 * demand straight into the response buffer. Lookups are binary searches over segments, columns and rows; a
 * GETNEXT/GETBULK step is the next position, so a bulk step costs O(1) per varbind.
 *
 * At 10,000 blocks this holds about 1 MB instead of one object, OID array and closure per cell (94 MB, see
 * docs/benchmarks.md). There is no per-snapshot encoding cache: the model commits after every device read, so a
 * cache would be thrown away many times during one walk, and encoding a cell into the response costs about as much
 * as copying a cached one.
 */
import type { ActiveAlarm } from "../../core/events.js";
import { type PlantSnapshot, type PointColumn, Q_GOOD } from "../../core/model.js";
import { type PointId, pointById } from "../../core/points.js";
import type { PlantTopology, StringInfo } from "../../core/topology.js";
import { BATTERY_COLUMNS, BATTERY_TABLE_OID } from "./battery-mib.js";
import { BerWriter, compareOid, encodeOid, encodeOidContent, encodeSubIdentifiers, TAG } from "./ber.js";
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

/** Encodes the value TLV of one cell; `row` is the segment's row id (a model row, an alarm's position, ...). */
export type CellWriter = (w: BerWriter, snapshot: PlantSnapshot, row: number) => void;

/** What a SET of an instance must carry and where it goes. */
export interface Writable {
  readonly syntax: Syntax;
  readonly thresholdIndex: number;
  readonly scale: number;
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

function writeSyntaxValue(w: BerWriter, syntax: Syntax, value: number | string | undefined): void {
  switch (syntax.kind) {
    case "text":
      w.octets(String(value ?? ""));
      return;
    case "integer":
      w.integer(toWireInteger(typeof value === "number" ? value : undefined, syntax.scale));
      return;
    case "enum":
      w.integer(typeof value === "number" && Number.isFinite(value) ? Math.round(value) : 0);
      return;
    case "truth":
      w.integer(typeof value === "number" && value !== 0 && Number.isFinite(value) ? 1 : 2);
      return;
    case "quality":
      w.integer((typeof value === "number" ? value : 1) + 1);
      return;
    case "severity":
      w.integer(typeof value === "number" ? value : 1);
      return;
    case "unsigned":
      w.unsigned(typeof value === "number" && Number.isFinite(value) ? value : 0, TAG.gauge32);
      return;
    case "counter":
      w.unsigned(typeof value === "number" ? value : 0, TAG.counter32);
      return;
    case "index":
      w.unsigned(typeof value === "number" ? value : 0, TAG.gauge32);
      return;
  }
}

/** Worst quality code (good 0 < stale 1 < comm-lost 2 < fault 3) over the measured points of a row. */
function rowQuality(
  snapshot: PlantSnapshot,
  points: readonly ((snapshot: PlantSnapshot) => PointColumn)[],
  row: number,
): number {
  let worst = Q_GOOD;
  for (const column of points) {
    const q = column(snapshot).quality(row);
    if (q > worst) worst = q;
  }
  return worst;
}

/**
 * The column of `id` in the snapshot asked for last: one lookup per request instead of one per cell (a snapshot never
 * changes, so its column does not either).
 */
function columnOf(id: PointId): (snapshot: PlantSnapshot) => PointColumn {
  let last: PlantSnapshot | undefined;
  let column: PointColumn | undefined;
  return (snapshot) => {
    if (snapshot !== last || !column) {
      column = snapshot.column(id);
      last = snapshot;
    }
    return column;
  };
}

function pointWriter(object: ObjectDef): CellWriter {
  const point = object.point;
  if (!point) throw new Error(`${object.name} is not a point object`);
  const column = columnOf(point.id as PointId);
  if (point.status) return (w, snapshot, row) => w.integer(column(snapshot).quality(row) + 1);
  const syntax = object.syntax;
  return (w, snapshot, row) => writeSyntaxValue(w, syntax, column(snapshot).value(row));
}

/** A cell whose encoding never changes. */
const constant =
  (encoded: Buffer): CellWriter =>
  (w) =>
    w.bytes(encoded);

/** Encodes one value once, for constant cells. */
function encodeOnce(write: (w: BerWriter) => void): Buffer {
  const w = new BerWriter(64);
  write(w);
  return w.copy();
}

function column(table: TableDef, name: string): ObjectDef {
  const c = table.columns.find((col) => col.name === name);
  if (!c) throw new Error(`no column ${name} in ${table.name}`);
  return c;
}

const measured = (scope: "string" | "block") =>
  (scope === "string" ? STRING_TABLE : BLOCK_TABLE).columns
    .filter((c) => c.point && !c.point.status && pointById(c.point.id)?.source === "measured")
    .map((c) => columnOf(c.point?.id as PointId));

interface SegmentColumn {
  readonly oid: readonly number[];
  /** Encoded content of `oid` (the row index's sub-identifiers follow it). */
  readonly oidContent: Buffer;
  readonly write: CellWriter;
  readonly writable?: (row: number) => Writable;
}

interface ColumnSpec {
  readonly oid: readonly number[];
  readonly write: CellWriter;
  readonly writable?: (row: number) => Writable;
}

interface RowSpec {
  readonly index: readonly number[];
  /** Passed to the column writers. */
  readonly row: number;
}

/**
 * Columns x rows in column-major (OID) order. Columns must be sorted and none a prefix of another; rows sorted by
 * index, all indexes of the same length.
 */
class Segment {
  readonly columns: readonly SegmentColumn[];
  readonly rowCount: number;
  readonly size: number;
  private readonly width: number;
  /** Row indexes, `width` sub-identifiers per row. */
  private readonly index: Float64Array;
  private readonly rowIds: Int32Array;
  /** Encoded sub-identifiers of every row's index, one after the other. */
  private readonly indexContent: Buffer;
  private readonly indexOffsets: Uint32Array;

  constructor(columns: readonly ColumnSpec[], rows: readonly RowSpec[]) {
    this.columns = columns.map((c) => ({ ...c, oidContent: encodeOidContent(c.oid) }));
    for (let c = 1; c < columns.length; c++)
      if (compareOid((columns[c - 1] as ColumnSpec).oid, (columns[c] as ColumnSpec).oid) >= 0)
        throw new Error(`columns out of order at ${(columns[c] as ColumnSpec).oid.join(".")}`);
    this.rowCount = rows.length;
    this.size = columns.length * rows.length;
    this.width = rows[0]?.index.length ?? 0;
    this.index = new Float64Array(rows.length * this.width);
    this.rowIds = new Int32Array(rows.length);
    this.indexOffsets = new Uint32Array(rows.length + 1);
    const parts: Buffer[] = [];
    let offset = 0;
    rows.forEach((r, i) => {
      if (r.index.length !== this.width) throw new Error("row indexes of different lengths");
      if (i > 0 && compareOid((rows[i - 1] as RowSpec).index, r.index) >= 0) throw new Error("rows out of order");
      this.index.set(r.index, i * this.width);
      this.rowIds[i] = r.row;
      const encoded = encodeSubIdentifiers(r.index);
      parts.push(encoded);
      this.indexOffsets[i] = offset;
      offset += encoded.length;
    });
    this.indexOffsets[rows.length] = offset;
    this.indexContent = Buffer.concat(parts);
  }

  oid(cell: number): number[] {
    const c = Math.floor(cell / this.rowCount);
    const r = cell - c * this.rowCount;
    const out = [...(this.columns[c] as SegmentColumn).oid];
    for (let i = 0; i < this.width; i++) out.push(this.index[r * this.width + i] as number);
    return out;
  }

  writable(cell: number): Writable | undefined {
    const c = Math.floor(cell / this.rowCount);
    return (this.columns[c] as SegmentColumn).writable?.(this.rowIds[cell - c * this.rowCount] as number);
  }

  /** Writes the varbind SEQUENCE { name, value } of `cell`. */
  writeVarbind(w: BerWriter, cell: number, snapshot: PlantSnapshot): void {
    const c = Math.floor(cell / this.rowCount);
    const r = cell - c * this.rowCount;
    const column = this.columns[c] as SegmentColumn;
    const varbind = w.open(TAG.sequence);
    const name = w.open(TAG.oid);
    w.range(column.oidContent, 0, column.oidContent.length);
    w.range(this.indexContent, this.indexOffsets[r] as number, this.indexOffsets[r + 1] as number);
    w.close(name);
    column.write(w, snapshot, this.rowIds[r] as number);
    w.close(varbind);
  }

  /** Number of cells whose OID is <= `oid`. */
  countAtOrBefore(oid: readonly number[]): number {
    const columns = this.columns;
    // Columns entirely before `oid` form a prefix of the sorted list; at most one column has `oid` under it.
    let lo = 0;
    let hi = columns.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (prefixCompare((columns[mid] as SegmentColumn).oid, oid) < 0) lo = mid + 1;
      else hi = mid;
    }
    let count = lo * this.rowCount;
    const under = columns[lo];
    if (under && prefixCompare(under.oid, oid) === 0) count += this.rowsAtOrBefore(oid, under.oid.length);
    return count;
  }

  /** Number of rows whose index is <= oid[from..]. */
  private rowsAtOrBefore(oid: readonly number[], from: number): number {
    let lo = 0;
    let hi = this.rowCount;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.compareRow(mid, oid, from) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private compareRow(r: number, oid: readonly number[], from: number): number {
    const rest = oid.length - from;
    const n = Math.min(this.width, rest);
    const base = r * this.width;
    for (let i = 0; i < n; i++) {
      const d = (this.index[base + i] as number) - (oid[from + i] as number);
      if (d !== 0) return d;
    }
    return this.width - rest;
  }
}

/**
 * Compares `column` with the first `column.length` sub-identifiers of `oid`: < 0 when every cell of the column
 * sorts before `oid`, > 0 when every cell sorts after it, 0 when `oid` lies under the column.
 */
function prefixCompare(column: readonly number[], oid: readonly number[]): number {
  const n = Math.min(column.length, oid.length);
  for (let i = 0; i < n; i++) {
    const d = (column[i] as number) - (oid[i] as number);
    if (d !== 0) return d;
  }
  return oid.length < column.length ? 1 : 0;
}

/** Sorted rows without repeated indexes (the first wins), so a duplicate id can never break the view. */
function distinct(rows: readonly RowSpec[]): RowSpec[] {
  return rows.filter((r, i) => i === 0 || compareOid((rows[i - 1] as RowSpec).index, r.index) !== 0);
}

/** A scalar group as a segment: its objects are the columns, `.0` the one row. */
function scalars(base: readonly number[], objects: readonly [number, CellWriter][]): Segment {
  return new Segment(
    objects.map(([sub, write]) => ({ oid: [...base, sub], write })),
    [{ index: [0], row: 0 }],
  );
}

/**
 * The whole view. The static segments are built once; the alarm and threshold segments are rebuilt when the
 * alarm list or the set of settings changes.
 */
export class MibView {
  private readonly before: Segment[] = [];
  private readonly after: Segment[] = [];
  private counterSegment: Segment | undefined;
  private segments: Segment[] = [];
  /** Position of the first cell of each segment. */
  private starts: number[] = [];
  /** OID of the first cell of each segment. */
  private firsts: number[][] = [];
  private total = 0;
  private alarmsRef: readonly ActiveAlarm[] | undefined;
  private alarmSegment: Segment | undefined;
  private thresholdsRef: readonly ThresholdSetting[] | undefined;
  private thresholdsKey = "";
  private thresholdSegment: Segment | undefined;
  private built = false;
  /** OIDs of every object (scalar without `.0`, column), to tell noSuchObject from noSuchInstance. */
  private readonly objects = new Set<string>();
  /** For `varbind`, which returns a copy. */
  private readonly scratch = new BerWriter(256);

  constructor(private readonly sources: ViewSources) {
    this.buildStatic();
  }

  get size(): number {
    return this.total;
  }

  /** Brings the view up to date with `snapshot`; returns it for chaining. */
  sync(snapshot: PlantSnapshot): this {
    let changed = !this.built;
    if (snapshot.alarms !== this.alarmsRef) {
      this.alarmsRef = snapshot.alarms;
      this.alarmSegment = this.alarmSegmentOf(snapshot.alarms);
      changed = true;
    }
    // The settings list is the same array until the configuration changes; its key is only rebuilt then.
    const thresholdList = this.sources.thresholds?.list() ?? [];
    if (thresholdList !== this.thresholdsRef) {
      this.thresholdsRef = thresholdList;
      const key = thresholdList.map((t) => t.index).join(",");
      if (key !== this.thresholdsKey || !this.built) {
        this.thresholdsKey = key;
        this.thresholdSegment = this.thresholdSegmentOf(thresholdList);
        changed = true;
      }
    }
    if (changed) this.assemble();
    return this;
  }

  /** Index of the exact OID, or -1. */
  find(oid: readonly number[]): number {
    const at = this.next(oid) - 1;
    return at >= 0 && compareOid(this.oidAt(at), oid) === 0 ? at : -1;
  }

  /** Index of the first instance strictly after `oid` (may be `size` = end of MIB view). */
  next(oid: readonly number[]): number {
    let lo = 0;
    let hi = this.segments.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compareOid(this.firsts[mid] as number[], oid) <= 0) lo = mid + 1;
      else hi = mid;
    }
    if (lo === 0) return 0;
    return (this.starts[lo - 1] as number) + (this.segments[lo - 1] as Segment).countAtOrBefore(oid);
  }

  oidAt(i: number): number[] {
    const k = this.segmentAt(i);
    return (this.segments[k] as Segment).oid(i - (this.starts[k] as number));
  }

  /** The SET target of instance `i`, when it is writable. */
  writableAt(i: number): Writable | undefined {
    const k = this.segmentAt(i);
    return (this.segments[k] as Segment).writable(i - (this.starts[k] as number));
  }

  /** Writes the varbind (SEQUENCE { name, value }) of instance `i`. */
  writeVarbind(w: BerWriter, i: number, snapshot: PlantSnapshot): void {
    const k = this.segmentAt(i);
    (this.segments[k] as Segment).writeVarbind(w, i - (this.starts[k] as number), snapshot);
  }

  /** The encoded varbind of instance `i`, as its own buffer. */
  varbind(i: number, snapshot: PlantSnapshot): Buffer {
    this.scratch.pos = 0;
    this.writeVarbind(this.scratch, i, snapshot);
    return this.scratch.copy();
  }

  /** True when `oid` names an instance of a known object (GET then answers noSuchInstance, not noSuchObject). */
  isUnderObject(oid: readonly number[]): boolean {
    for (let n = oid.length - 1; n >= 7; n--) if (this.objects.has(oid.slice(0, n).join("."))) return true;
    return false;
  }

  private segmentAt(i: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.starts[mid] as number) <= i) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  private assemble(): void {
    const ours = [this.alarmSegment, this.counterSegment, this.thresholdSegment];
    const all = [...this.before, ...ours, ...this.after].filter((s): s is Segment => s !== undefined && s.size > 0);
    this.segments = all;
    this.starts = [];
    this.firsts = [];
    let at = 0;
    for (const s of all) {
      this.starts.push(at);
      this.firsts.push(s.oid(0));
      at += s.size;
    }
    this.total = at;
    this.built = true;
  }

  private table(
    table: TableDef,
    rows: readonly RowSpec[],
    writers: ReadonlyMap<string, CellWriter>,
    writable?: ReadonlyMap<string, (row: number) => Writable>,
  ): Segment {
    const columns: ColumnSpec[] = [];
    for (const col of table.columns) {
      if (col.access === "not-accessible") continue;
      const write = writers.get(col.name);
      if (!write) throw new Error(`no writer for ${col.name}`);
      const oid = [...table.oid, 1, col.sub];
      this.objects.add(oid.join("."));
      const w = writable?.get(col.name);
      columns.push(w ? { oid, write, writable: w } : { oid, write });
    }
    return new Segment(columns, rows);
  }

  private scalarGroup(base: readonly number[], objects: readonly [number, CellWriter][]): Segment {
    for (const [sub] of objects) this.objects.add([...base, sub].join("."));
    return scalars(base, objects);
  }

  private buildStatic(): void {
    const s = this.sources;
    const { topology } = s;
    const site = topology.site;
    const text = (t: string | Buffer) => constant(encodeOnce((w) => w.octets(t)));
    const int = (v: number) => constant(encodeOnce((w) => w.integer(v)));
    const c = s.counters;
    const counter =
      (get: () => number): CellWriter =>
      (w) =>
        w.unsigned(get(), TAG.counter32);
    // MIB-2 system group (RFC 3418).
    const descr = `bms-gateway ${s.softwareVersion}: battery-monitoring gateway, ${topology.strings.length} strings, ${topology.blockCount} blocks`;
    this.before.push(
      this.scalarGroup(SYSTEM, [
        [1, text(descr)],
        [2, constant(encodeOid(PRODUCT_OID))],
        [3, (w) => w.unsigned(s.upTime(), TAG.timeTicks)],
        [4, text(site.contact)],
        [5, text(site.name)],
        [6, text(site.location)],
        [7, int(72)],
      ]),
    );
    // snmp group (RFC 3418).
    this.before.push(
      this.scalarGroup(SNMP_GROUP, [
        [1, counter(() => c.inPkts)],
        [2, counter(() => c.outPkts)],
        [3, counter(() => c.inBadVersions)],
        [4, counter(() => c.inBadCommunityNames)],
        [5, counter(() => c.inBadCommunityUses)],
        [6, counter(() => c.inAsnParseErrs)],
        [30, int(2)],
        [31, counter(() => c.silentDrops)],
        [32, counter(() => 0)],
      ]),
    );
    // BATTERY-MIB (RFC 7577, mib-2 233) sorts between the snmp group and enterprises; one row per string.
    const strings = [...topology.strings].sort((a, b) => a.id - b.id);
    const byRow = new Map<number, StringInfo>(strings.map((x) => [x.index, x]));
    const batteryColumns: ColumnSpec[] = BATTERY_COLUMNS.map((col) => {
      const oid = [...BATTERY_TABLE_OID, 1, col.sub];
      this.objects.add(oid.join("."));
      return { oid, write: (w, snapshot, row) => w.bytes(col.read(snapshot, byRow.get(row) as StringInfo)) };
    });
    this.before.push(
      new Segment(
        batteryColumns,
        strings.map((x) => ({ index: [x.id], row: x.index })),
      ),
    );
    this.buildOurs(strings);
    // snmpEngine group, MPD and USM stats (RFC 3411, 3412, 3414) sort after enterprises.
    this.after.push(
      this.scalarGroup(SNMP_ENGINE, [
        [1, text(s.engineId)],
        [2, int(s.engineBoots)],
        [3, (w) => w.integer(s.engineTime())],
        [4, int(65507)],
      ]),
      this.scalarGroup(MPD_STATS, [
        [1, counter(() => c.unknownSecurityModels)],
        [2, counter(() => c.invalidMsgs)],
        [3, counter(() => c.unknownPduHandlers)],
      ]),
      this.scalarGroup(USM_STATS, [
        [1, counter(() => c.unsupportedSecLevels)],
        [2, counter(() => c.notInTimeWindows)],
        [3, counter(() => c.unknownUserNames)],
        [4, counter(() => c.unknownEngineIds)],
        [5, counter(() => c.wrongDigests)],
        [6, counter(() => c.decryptionErrors)],
      ]),
    );
  }

  private buildOurs(strings: readonly StringInfo[]): void {
    const s = this.sources;
    const { topology } = s;
    const site = topology.site;
    const text = (t: string) => constant(encodeOnce((w) => w.octets(t)));
    const ident = [s.softwareVersion, site.name, site.location, site.contact];
    this.before.push(
      this.scalarGroup(
        IDENTITY.oid,
        IDENTITY.objects.map((o, i) => [o.sub, text(i === 0 ? "bms-gateway" : (ident[i - 1] as string))]),
      ),
    );
    const gauge =
      (get: (snapshot: PlantSnapshot) => number): CellWriter =>
      (w, snapshot) =>
        w.unsigned(get(snapshot), TAG.gauge32);
    const plant: Record<string, CellWriter> = {
      bmsPlantStringCount: gauge(() => topology.strings.length),
      bmsPlantBlockCount: gauge(() => topology.blockCount),
      bmsPlantAlarmsCritical: gauge((x) => x.alarmSummary.critical),
      bmsPlantAlarmsWarning: gauge((x) => x.alarmSummary.warning),
      bmsPlantAlarmsInfo: gauge((x) => x.alarmSummary.info),
      bmsPlantAlarmsUnacknowledged: gauge((x) => x.alarmSummary.unacknowledged),
    };
    this.before.push(
      this.scalarGroup(
        PLANT.oid,
        PLANT.objects.map((o) => {
          const write = plant[o.name];
          if (write) return [o.sub, write];
          const point = pointWriter(o);
          return [o.sub, (w, snapshot) => point(w, snapshot, 0)];
        }),
      ),
    );
    // String table, indexed by string id.
    const stringWriters = new Map<string, CellWriter>();
    const stringNames = new Map(strings.map((x) => [x.index, encodeOnce((w) => w.octets(x.name))]));
    const stringBlocks = new Map(
      strings.map((x) => [x.index, encodeOnce((w) => w.unsigned(x.blockCount, TAG.gauge32))]),
    );
    const stringMeasured = measured("string");
    stringWriters.set("bmsStringName", (w, _, row) => w.bytes(stringNames.get(row) as Buffer));
    stringWriters.set("bmsStringBlockCount", (w, _, row) => w.bytes(stringBlocks.get(row) as Buffer));
    stringWriters.set("bmsStringStatus", (w, snapshot, row) =>
      w.integer(rowQuality(snapshot, stringMeasured, row) + 1),
    );
    for (const col of STRING_TABLE.columns) if (col.point) stringWriters.set(col.name, pointWriter(col));
    const stringRows = strings.map((x) => ({ index: [x.id], row: x.index }));
    this.before.push(this.table(STRING_TABLE, stringRows, stringWriters));
    // Block table, indexed by (string id, block number).
    const blockWriters = new Map<string, CellWriter>();
    const blockMeasured = measured("block");
    blockWriters.set("bmsBlockStatus", (w, snapshot, row) => w.integer(rowQuality(snapshot, blockMeasured, row) + 1));
    for (const col of BLOCK_TABLE.columns) if (col.point) blockWriters.set(col.name, pointWriter(col));
    const blockRows: RowSpec[] = [];
    for (const x of strings)
      for (let b = 1; b <= x.blockCount; b++) blockRows.push({ index: [x.id, b], row: x.firstBlockRow + b - 1 });
    this.before.push(this.table(BLOCK_TABLE, blockRows, blockWriters));
    // Alarm table: rows change with the alarm list (see sync). Register its column objects now.
    for (const col of ALARM_TABLE.columns)
      if (col.access !== "not-accessible") this.objects.add([...ALARM_TABLE.oid, 1, col.sub].join("."));
    // Event counters: one row per catalogue event; values live in `eventCounts`.
    const counterWriters = new Map<string, CellWriter>();
    const counterNames = COUNTED_EVENTS.map((e) => encodeOnce((w) => w.octets(e.name)));
    counterWriters.set("bmsEventCounterName", (w, _, row) => w.bytes(counterNames[row] as Buffer));
    const count = (row: number) => s.eventCounts.get(COUNTED_EVENTS[row]?.eventId ?? 0);
    counterWriters.set("bmsEventCounterRaised", (w, _, row) => w.unsigned(count(row)?.raised ?? 0, TAG.counter32));
    counterWriters.set("bmsEventCounterCleared", (w, _, row) => w.unsigned(count(row)?.cleared ?? 0, TAG.counter32));
    const counterRows = COUNTED_EVENTS.map((e, row) => ({ index: [e.eventId], row }));
    this.counterSegment = this.table(COUNTER_TABLE, counterRows, counterWriters);
    for (const col of THRESHOLD_TABLE.columns)
      if (col.access !== "not-accessible") this.objects.add([...THRESHOLD_TABLE.oid, 1, col.sub].join("."));
  }

  private alarmSegmentOf(alarms: readonly ActiveAlarm[]): Segment {
    const sorted = [...alarms].sort((a, b) => a.id - b.id);
    const writers = new Map<string, CellWriter>();
    const at = (row: number) => sorted[row] as ActiveAlarm;
    const eventIdSyntax = column(ALARM_TABLE, "bmsAlarmEventId").syntax;
    writers.set("bmsAlarmEventId", (w, _, row) => writeSyntaxValue(w, eventIdSyntax, at(row).eventId));
    writers.set("bmsAlarmName", (w, _, row) => w.octets(at(row).name));
    writers.set("bmsAlarmSeverity", (w, _, row) => w.integer(SEVERITY_VALUES[at(row).severity]));
    writers.set("bmsAlarmStringId", (w, _, row) => w.unsigned(at(row).stringId ?? 0, TAG.gauge32));
    writers.set("bmsAlarmBlock", (w, _, row) => w.unsigned(at(row).block ?? 0, TAG.gauge32));
    writers.set("bmsAlarmRaisedAt", (w, _, row) => w.unsigned(Math.floor(at(row).raisedAt / 1000), TAG.gauge32));
    writers.set("bmsAlarmValue", (w, _, row) => w.integer(toWireInteger(at(row).value, 1000)));
    writers.set("bmsAlarmThreshold", (w, _, row) => w.integer(toWireInteger(at(row).threshold, 1000)));
    writers.set("bmsAlarmText", (w, _, row) => w.octets(at(row).text));
    writers.set("bmsAlarmAcknowledged", (w, _, row) => w.integer(at(row).acknowledgedAt !== undefined ? 1 : 2));
    const rows = sorted
      .map((a, row) => ({ index: [a.id], row }))
      .filter((r) => Number.isInteger(r.index[0]) && (r.index[0] as number) > 0);
    return this.table(ALARM_TABLE, distinct(rows), writers);
  }

  private thresholdSegmentOf(list: readonly ThresholdSetting[]): Segment {
    const rows = [...list].sort((a, b) => a.index - b.index);
    const valueSyntax = column(THRESHOLD_TABLE, "bmsThresholdValue").syntax;
    const scaleSyntax = column(THRESHOLD_TABLE, "bmsThresholdScale").syntax;
    const at = (row: number) => rows[row] as ThresholdSetting;
    // The value is read live: a SET or a configuration reload changes it without changing the rows.
    const current = (index: number) => this.sources.thresholds?.list().find((t) => t.index === index);
    const writers = new Map<string, CellWriter>([
      ["bmsThresholdName", (w, _, row) => w.octets(at(row).name)],
      [
        "bmsThresholdValue",
        (w, _, row) => {
          const t = at(row);
          const value = current(t.index)?.value;
          writeSyntaxValue(w, valueSyntax, value === undefined ? undefined : value * t.scale);
        },
      ],
      ["bmsThresholdUnit", (w, _, row) => w.octets(at(row).unit)],
      ["bmsThresholdScale", (w, _, row) => writeSyntaxValue(w, scaleSyntax, at(row).scale)],
    ]);
    const writable = new Map<string, (row: number) => Writable>([
      ["bmsThresholdValue", (row) => ({ syntax: valueSyntax, thresholdIndex: at(row).index, scale: at(row).scale })],
    ]);
    return this.table(THRESHOLD_TABLE, distinct(rows.map((t, row) => ({ index: [t.index], row }))), writers, writable);
  }
}
