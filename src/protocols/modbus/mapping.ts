/**
 * The Modbus register map: a pure projection of the point catalogue and the event catalogue onto register
 * addresses. Every address follows from a fixed area base and the stable `number` of a point (or `bit` of an
 * alarm), never from declaration order, so adding a point never moves an existing register.
 *
 * Addressing (see docs/protocols/modbus.md): unit id = string id (1..247), units 0 and 255 = plant view. Every unit
 * has the same layout, 0-based, identical on FC03 (4xxxx) and FC04 (3xxxx):
 *   0..99     system area (identity, counts, alarm summary, system points)
 *   100..199  string area of the unit's string
 *   200..401  active alarm list (plant-wide)
 *   500..699  settings (plant-wide alarm thresholds from the settings catalogue, s32, writable)
 *   900..912  commands (writable)
 *   1000 + 16·(n−1) + offset   record of block n of the unit's string
 */
import { EVENT_CATALOGUE } from "../../core/alarms/catalogue.js";
import type { PlantSnapshot } from "../../core/model.js";
import { POINTS, type PointDefinition, type PointId, type PointScope } from "../../core/points.js";
import { SETTINGS } from "../../core/settings.js";
import type { StringInfo } from "../../core/topology.js";

export const MAP_LAYOUT_VERSION = 1;
export const SYSTEM_BASE = 0;
export const STRING_BASE = 100;
export const ALARM_LIST_BASE = 200;
export const ALARM_LIST_FIRST_ENTRY = 210;
export const ALARM_LIST_ENTRY_WORDS = 8;
export const ALARM_LIST_CAPACITY = 24;
export const SETTINGS_BASE = 500;
/** Settings slots (2 registers each) reserved: 500..699. */
export const SETTINGS_CAPACITY = 100;
export const COMMAND_BASE = 900;
export const BLOCK_BASE = 1000;
export const BLOCK_STRIDE = 16;
/** Units 0 and 255 are the "this server" unit ids of Modbus TCP; they serve the plant view without a string. */
export const PLANT_UNITS: readonly number[] = [0, 255];

/** Where a scope's point slots and quality registers start (absolute for system/string, record offset for block). */
const SCOPE_LAYOUT: Record<PointScope, { slots: number; quality: number; maxPoints: number }> = {
  system: { slots: 20, quality: 16, maxPoints: 16 },
  string: { slots: 110, quality: 105, maxPoints: 16 },
  block: { slots: 2, quality: 0, maxPoints: 7 },
};

export type WireType = "u16" | "s16" | "u32" | "s32" | "bits16" | "ascii";
export type Area = "system" | "string" | "alarm-list" | "settings" | "command" | "block";

/** Sentinels for "not available" (quality not good, or no value), as in SunSpec. */
export const NOT_AVAILABLE: Record<"u16" | "s16" | "u32" | "s32", number> = {
  u16: 0xffff,
  s16: 0x8000,
  u32: 0xffffffff,
  s32: 0x80000000,
};

/** One row of the register map, as documented and as served. */
export interface RegisterEntry {
  readonly area: Area;
  /** Absolute 0-based address; for `block`, the offset within the block record. */
  readonly address: number;
  readonly words: number;
  readonly name: string;
  readonly type: WireType;
  /** Wire value = engineering value × scale (numbers only). */
  readonly scale: number;
  /** Unit of the wire value, e.g. mV. */
  readonly unit: string;
  readonly access: "R" | "RW";
  readonly description: string;
  /** The catalogue point the entry carries, if any. */
  readonly point?: PointId;
  /** For enum points: state names by value. */
  readonly states?: readonly string[];
  /** The settings-catalogue name the entry carries, if any. */
  readonly setting?: string;
}

const WIRE_UNIT: Record<string, Record<number, string>> = {
  V: { 1000: "mV", 100: "10 mV", 10: "0.1 V", 1: "V" },
  A: { 1000: "mA", 100: "10 mA", 10: "0.1 A", 1: "A" },
  "°C": { 10: "0.1 °C", 1: "°C" },
  mΩ: { 1000: "µΩ", 100: "10 µΩ", 10: "0.1 mΩ", 1: "mΩ" },
  "%": { 10: "0.1 %", 1: "%" },
  "%RH": { 10: "0.1 %RH", 1: "%RH" },
};

/** Unit of an integer wire value, e.g. mV for V × 1000. */
export function wireUnit(unit: string, scale: number): string {
  if (unit === "") return "";
  return WIRE_UNIT[unit]?.[scale] ?? (scale === 1 ? unit : `${unit}/${scale}`);
}

/** Integer scaling and the smallest wire type that holds the point's range at its resolution. */
export function pointEncoding(p: PointDefinition): {
  type: "u16" | "s16" | "u32" | "s32";
  scale: number;
  unit: string;
} {
  const scale = p.type === "float" ? Math.round(1 / p.resolution) : 1;
  const lo = p.range[0] * scale;
  const hi = p.range[1] * scale;
  // The sentinel must stay out of range: u16 ≤ 0xFFFE, s16 > -0x8000.
  const type = lo >= 0 ? (hi <= 0xfffe ? "u16" : "u32") : lo > -0x8000 && hi <= 0x7fff ? "s16" : "s32";
  return { type, scale, unit: wireUnit(p.unit, scale) };
}

/** Absolute address (system/string) or record offset (block) of a point's slot: 2 registers per point number. */
export function pointAddress(p: PointDefinition): number {
  return SCOPE_LAYOUT[p.scope].slots + 2 * (p.number - 1);
}

function scopeArea(scope: PointScope): Area {
  return scope;
}

function qualityEntries(scope: PointScope): RegisterEntry[] {
  const layout = SCOPE_LAYOUT[scope];
  const registers = Math.ceil(layout.maxPoints / 8);
  return Array.from({ length: registers }, (_, k) => ({
    area: scopeArea(scope),
    address: layout.quality + k,
    words: 1,
    name: `${scope}.quality${registers > 1 ? `.${k + 1}` : ""}`,
    type: "bits16" as const,
    scale: 1,
    unit: "",
    access: "R" as const,
    description: `Quality of ${scope} points ${8 * k + 1}..${8 * k + 8}: 2 bits per point number n at bit 2·(n−${8 * k + 1}) (0 good, 1 stale, 2 comm-lost, 3 fault).`,
  }));
}

function alarmBitsDescription(scope: "system" | "string" | "block", prefix: string): string {
  const bits = EVENT_CATALOGUE.filter((d) => d.kind === "alarm" && d.scope === scope && d.bit !== undefined)
    .sort((a, b) => (a.bit ?? 0) - (b.bit ?? 0))
    .map((d) => `bit ${d.bit} ${d.name}`);
  return `${prefix} ${bits.join(", ")}.`;
}

function fixed(
  area: Area,
  address: number,
  name: string,
  type: WireType,
  description: string,
  extra: Partial<RegisterEntry> = {},
): RegisterEntry {
  const words = type === "u32" || type === "s32" ? 2 : 1;
  return { area, address, words, name, type, scale: 1, unit: "", access: "R", description, ...extra };
}

function pointEntries(scope: PointScope): RegisterEntry[] {
  return POINTS.filter((p) => p.scope === scope).map((p) => {
    const enc = pointEncoding(p);
    return {
      area: scopeArea(scope),
      address: pointAddress(p),
      words: enc.type === "u32" || enc.type === "s32" ? 2 : 1,
      name: p.id,
      type: enc.type,
      scale: enc.scale,
      unit: enc.unit,
      access: p.id === "block.equalization" ? ("RW" as const) : ("R" as const),
      description:
        p.description +
        (p.states ? ` States: ${p.states.map((s, i) => `${i} ${s}`).join(", ")}.` : "") +
        (p.id === "block.equalization" ? " Write 1 to start, 0 to stop equalization of this block." : ""),
      point: p.id as PointId,
      ...(p.states ? { states: p.states } : {}),
    };
  });
}

/** Every entry of the map, sorted by area and address. Pure and deterministic. */
export function registerMap(): readonly RegisterEntry[] {
  const entries: RegisterEntry[] = [
    fixed("system", 0, "map.version", "u16", `Register map layout version (${MAP_LAYOUT_VERSION}).`),
    fixed("system", 1, "plant.strings", "u16", "Number of configured strings."),
    fixed("system", 2, "plant.blocks", "u32", "Number of blocks in the plant."),
    fixed("system", 4, "unit.stringId", "u16", "String id this unit serves (= unit id); 0 in the plant unit."),
    fixed("system", 5, "snapshot.version", "u32", "Version of the model snapshot this reply was served from."),
    fixed("system", 7, "snapshot.time", "u32", "Time of that snapshot, Unix seconds.", { unit: "s" }),
    fixed("system", 9, "alarms.critical", "u16", "Active critical alarms in the plant."),
    fixed("system", 10, "alarms.warning", "u16", "Active warning alarms in the plant."),
    fixed("system", 11, "alarms.info", "u16", "Active info alarms in the plant."),
    fixed("system", 12, "alarms.unacknowledged", "u16", "Active alarms not yet acknowledged."),
    fixed(
      "system",
      13,
      "alarms.summary",
      "bits16",
      "Plant summary: bit 0 critical active, bit 1 warning active, bit 2 info active, bit 3 unacknowledged, bit 4 a device is not answering.",
    ),
    fixed("system", 14, "system.alarms", "bits16", alarmBitsDescription("system", "System alarm bits:")),
    fixed("system", 15, "devices.commLost", "u16", "Field devices currently not answering."),
    ...qualityEntries("system"),
    ...pointEntries("system"),
    fixed(
      "system",
      60,
      "site.name",
      "ascii",
      "Site name, ASCII, 2 characters per register (high byte first), NUL-padded.",
      {
        words: 20,
      },
    ),
    fixed("system", 80, "site.location", "ascii", "Site location, ASCII like site.name.", { words: 20 }),
    fixed("string", 100, "string.id", "u16", "String id of this unit; 0 in the plant unit."),
    fixed("string", 101, "string.blocks", "u16", "Number of blocks in this string (block records that exist)."),
    fixed("string", 102, "string.alarms", "bits16", alarmBitsDescription("string", "String alarm bits:")),
    fixed("string", 103, "string.blockAlarms", "bits16", "OR of the alarm bits of every block of this string."),
    fixed("string", 104, "string.activeAlarms", "u16", "Active alarms of this string (string and block alarms)."),
    ...qualityEntries("string"),
    ...pointEntries("string"),
    fixed("alarm-list", ALARM_LIST_BASE, "alarmList.total", "u16", "Active alarms in the plant."),
    fixed(
      "alarm-list",
      ALARM_LIST_BASE + 1,
      "alarmList.listed",
      "u16",
      `Entries listed below (at most ${ALARM_LIST_CAPACITY}; critical first, then newest).`,
    ),
    ...alarmListEntries(),
    ...settingEntries(),
    fixed(
      "command",
      COMMAND_BASE,
      "command.acknowledgeAll",
      "u16",
      "Write 1: acknowledge every active alarm. Reads 0.",
      {
        access: "RW",
      },
    ),
    fixed(
      "command",
      COMMAND_BASE + 10,
      "command.equalize",
      "u16",
      "Write 1/0: start/stop equalization of every block of this unit's string (plant unit: every string). Reads 1 while a block equalizes.",
      { access: "RW" },
    ),
    fixed(
      "command",
      COMMAND_BASE + 11,
      "command.loadOutput",
      "u16",
      "Write 1/0: close/open the load-disconnect output of this string (override; needs writes.role admin). Reads the output state.",
      { access: "RW" },
    ),
    fixed(
      "command",
      COMMAND_BASE + 12,
      "command.chargeOutput",
      "u16",
      "Write 1/0: close/open the charge-disconnect output of this string (override; needs writes.role admin). Reads the output state.",
      { access: "RW" },
    ),
    ...qualityEntries("block"),
    fixed("block", 1, "block.alarms", "bits16", alarmBitsDescription("block", "Block alarm bits:")),
    ...pointEntries("block"),
  ];
  const order: Record<Area, number> = { system: 0, string: 1, "alarm-list": 2, settings: 3, command: 4, block: 5 };
  return entries.sort((a, b) => order[a.area] - order[b.area] || a.address - b.address);
}

/** Address of the first register of setting `index` (settings catalogue number, 1-based). */
export function settingAddress(index: number): number {
  return SETTINGS_BASE + 2 * (index - 1);
}

if (SETTINGS.some((s) => s.index < 1 || s.index > SETTINGS_CAPACITY))
  throw new Error(`settings catalogue outgrew the Modbus settings area (${SETTINGS_CAPACITY} slots)`);

function settingEntries(): RegisterEntry[] {
  return SETTINGS.map((s) => ({
    area: "settings" as const,
    address: settingAddress(s.index),
    words: 2,
    name: `setting.${s.name}`,
    type: "s32" as const,
    scale: s.scale,
    unit: wireUnit(s.unit, s.scale),
    access: "RW" as const,
    description: `${s.description} Value in force (config \`${s.path.join(".")}\`) × ${s.scale}. Write both registers in one FC16 or FC23; needs writes.role admin; a value the configuration rejects → exception 03.`,
    setting: s.name,
  }));
}

function alarmListEntries(): RegisterEntry[] {
  const at = ALARM_LIST_FIRST_ENTRY;
  const n = ALARM_LIST_CAPACITY;
  const range = (o: number) => `${at + o} + ${ALARM_LIST_ENTRY_WORDS}·i (i = 0..${n - 1})`;
  return [
    fixed("alarm-list", at, "alarmList[i].id", "u32", `Alarm occurrence id (unique per raise); at ${range(0)}.`),
    fixed("alarm-list", at + 2, "alarmList[i].eventId", "u16", `Event catalogue id of the alarm; at ${range(2)}.`),
    fixed("alarm-list", at + 3, "alarmList[i].stringId", "u16", `String id, 0 when plant-wide; at ${range(3)}.`),
    fixed("alarm-list", at + 4, "alarmList[i].block", "u16", `Block number, 0 when none; at ${range(4)}.`),
    fixed(
      "alarm-list",
      at + 5,
      "alarmList[i].flags",
      "bits16",
      `Bits 0-1 severity (0 info, 1 warning, 2 critical), bit 8 acknowledged, bit 9 latched; at ${range(5)}.`,
    ),
    fixed("alarm-list", at + 6, "alarmList[i].raisedAt", "u32", `Raise time, Unix seconds; at ${range(6)}.`, {
      unit: "s",
    }),
  ];
}

/** Alarm bitfields of one snapshot, keyed by the catalogue's `bit` of each active alarm. */
export interface AlarmBits {
  system: number;
  /** By configured string id. */
  readonly strings: Map<number, { bits: number; blocks: number; count: number; blockBits: Map<number, number> }>;
}

const EVENT_BITS = new Map(
  EVENT_CATALOGUE.filter((d) => d.kind === "alarm" && d.bit !== undefined).map((d) => [
    d.eventId,
    { scope: d.scope, mask: 1 << (d.bit as number) },
  ]),
);

export function alarmBits(snapshot: PlantSnapshot): AlarmBits {
  const result: AlarmBits = { system: 0, strings: new Map() };
  for (const alarm of snapshot.alarms) {
    const bit = EVENT_BITS.get(alarm.eventId);
    if (alarm.stringId === undefined) {
      if (bit?.scope === "system") result.system |= bit.mask;
      continue;
    }
    let s = result.strings.get(alarm.stringId);
    if (!s) {
      s = { bits: 0, blocks: 0, count: 0, blockBits: new Map() };
      result.strings.set(alarm.stringId, s);
    }
    s.count++;
    if (!bit) continue;
    if (bit.scope === "string") s.bits |= bit.mask;
    else if (bit.scope === "block" && alarm.block !== undefined) {
      s.blockBits.set(alarm.block, (s.blockBits.get(alarm.block) ?? 0) | bit.mask);
      s.blocks |= bit.mask;
    } else if (bit.scope === "system") result.system |= bit.mask;
  }
  return result;
}

/** Absolute address of the first register of block `n` (1-based) of a string unit. */
export function blockRecordAddress(block: number): number {
  return BLOCK_BASE + BLOCK_STRIDE * (block - 1);
}

/** The string a unit id selects, undefined for unknown units; null for the plant unit. */
export function unitString(strings: readonly StringInfo[], unit: number): StringInfo | null | undefined {
  if (PLANT_UNITS.includes(unit)) return null;
  return strings.find((s) => s.id === unit);
}
