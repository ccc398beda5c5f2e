/**
 * Renders the register image of one unit from ONE snapshot. A reply is always cut from a single image, so a
 * multi-register read never mixes two snapshots and a 32-bit value is never torn.
 */
import type { PlantSnapshot } from "../../core/model.js";
import { POINTS, type PointId, pointById } from "../../core/points.js";
import type { StringInfo } from "../../core/topology.js";
import {
  ALARM_LIST_BASE,
  ALARM_LIST_CAPACITY,
  ALARM_LIST_ENTRY_WORDS,
  ALARM_LIST_FIRST_ENTRY,
  alarmBits,
  BLOCK_BASE,
  BLOCK_STRIDE,
  blockRecordAddress,
  COMMAND_BASE,
  MAP_LAYOUT_VERSION,
  NOT_AVAILABLE,
  pointAddress,
  pointEncoding,
} from "./mapping.js";

export type WordOrder = "high-first" | "low-first";

const LIMITS = {
  u16: [0, 0xfffe],
  s16: [-0x7fff, 0x7fff],
  u32: [0, 0xfffffffe],
  s32: [-0x7fffffff, 0x7fffffff],
} as const;

/** Pre-computed encoding of every point, by scope. */
const ENCODED = POINTS.map((p) => ({ point: p, id: p.id as PointId, address: pointAddress(p), ...pointEncoding(p) }));
const SYSTEM_POINTS = ENCODED.filter((e) => e.point.scope === "system");
const STRING_POINTS = ENCODED.filter((e) => e.point.scope === "string");
const BLOCK_POINTS = ENCODED.filter((e) => e.point.scope === "block");
const QUALITY_REGISTER = { system: 16, string: 105, block: 0 } as const;
const equalizationPoint = pointById("block.equalization");
if (!equalizationPoint) throw new Error("point catalogue lacks block.equalization");
/** Offset of the writable equalization register in a block record. */
export const EQUALIZATION_OFFSET = pointAddress(equalizationPoint);

const SEVERITY_CODE = { info: 0, warning: 1, critical: 2 } as const;

export function write32(words: Uint16Array, address: number, value: number, order: WordOrder): void {
  const u = value >>> 0;
  const high = u >>> 16;
  const low = u & 0xffff;
  words[address] = order === "high-first" ? high : low;
  words[address + 1] = order === "high-first" ? low : high;
}

/** Encodes an engineering value (NaN = not available) onto the wire at `address`. */
function writeScaled(
  words: Uint16Array,
  address: number,
  type: "u16" | "s16" | "u32" | "s32",
  scale: number,
  value: number,
  good: boolean,
  order: WordOrder,
): void {
  let raw: number;
  if (!good || !Number.isFinite(value)) raw = NOT_AVAILABLE[type];
  else {
    // Indexed, not destructured: array destructuring allocates an iterator per register written.
    const limits = LIMITS[type];
    raw = Math.min(limits[1], Math.max(limits[0], Math.round(value * scale)));
  }
  if (type === "u16" || type === "s16") words[address] = raw & 0xffff;
  else write32(words, address, raw, order);
}

function writeAscii(words: Uint16Array, address: number, count: number, text: string): void {
  const bytes = Buffer.from(text.replace(/[^\x20-\x7e]/g, "?"), "latin1");
  for (let i = 0; i < count; i++) words[address + i] = ((bytes[2 * i] ?? 0) << 8) | (bytes[2 * i + 1] ?? 0);
}

function pointsOf(
  words: Uint16Array,
  base: number,
  qualityAddress: number,
  points: typeof ENCODED,
  snapshot: PlantSnapshot,
  row: number,
  order: WordOrder,
): void {
  for (const e of points) {
    const column = snapshot.column(e.id);
    const quality = column.quality(row);
    const value = column.value(row);
    writeScaled(words, base + e.address, e.type, e.scale, value, quality === 0, order);
    const k = e.point.number - 1;
    const register = base + qualityAddress + (k >> 3);
    words[register] = (words[register] as number) | ((quality & 3) << (2 * (k & 7)));
  }
}

/** The whole register image of a unit: the plant unit (`string` null) or a string unit. */
export function renderImage(snapshot: PlantSnapshot, string: StringInfo | null, order: WordOrder): Uint16Array {
  const length = string ? BLOCK_BASE + BLOCK_STRIDE * string.blockCount : BLOCK_BASE;
  const words = new Uint16Array(length);
  const topology = snapshot.topology;
  const bits = alarmBits(snapshot);
  const summary = snapshot.alarmSummary;

  // System area.
  words[0] = MAP_LAYOUT_VERSION;
  words[1] = topology.strings.length;
  write32(words, 2, topology.blockCount, order);
  words[4] = string?.id ?? 0;
  write32(words, 5, snapshot.version, order);
  write32(words, 7, Math.floor(snapshot.time / 1000), order);
  words[9] = Math.min(summary.critical, 0xffff);
  words[10] = Math.min(summary.warning, 0xffff);
  words[11] = Math.min(summary.info, 0xffff);
  words[12] = Math.min(summary.unacknowledged, 0xffff);
  const commLost = snapshot.devices.filter((d) => d.comm === "comm-lost").length;
  words[13] =
    (summary.critical > 0 ? 1 : 0) |
    (summary.warning > 0 ? 2 : 0) |
    (summary.info > 0 ? 4 : 0) |
    (summary.unacknowledged > 0 ? 8 : 0) |
    (commLost > 0 ? 16 : 0);
  words[14] = bits.system & 0xffff;
  words[15] = Math.min(commLost, 0xffff);
  pointsOf(words, 0, QUALITY_REGISTER.system, SYSTEM_POINTS, snapshot, 0, order);
  writeAscii(words, 60, 20, topology.site.name ?? "");
  writeAscii(words, 80, 20, topology.site.location ?? "");

  // String area.
  const stringBits = string ? bits.strings.get(string.id) : undefined;
  if (string) {
    words[100] = string.id;
    words[101] = string.blockCount;
    words[102] = (stringBits?.bits ?? 0) & 0xffff;
    words[103] = (stringBits?.blocks ?? 0) & 0xffff;
    words[104] = Math.min(stringBits?.count ?? 0, 0xffff);
    pointsOf(words, 0, QUALITY_REGISTER.string, STRING_POINTS, snapshot, string.index, order);
  } else {
    for (const e of STRING_POINTS) writeScaled(words, e.address, e.type, e.scale, Number.NaN, false, order);
    words[105] = 0x5555; // every string point: stale (there is no string in the plant unit)
    words[106] = 0x5555;
  }

  // Active alarm list, plant-wide: critical first, then newest.
  const alarms = [...snapshot.alarms].sort(
    (a, b) => SEVERITY_CODE[b.severity] - SEVERITY_CODE[a.severity] || b.raisedAt - a.raisedAt || b.id - a.id,
  );
  words[ALARM_LIST_BASE] = Math.min(alarms.length, 0xffff);
  const listed = Math.min(alarms.length, ALARM_LIST_CAPACITY);
  words[ALARM_LIST_BASE + 1] = listed;
  for (let i = 0; i < listed; i++) {
    const a = alarms[i];
    if (!a) break;
    const at = ALARM_LIST_FIRST_ENTRY + ALARM_LIST_ENTRY_WORDS * i;
    write32(words, at, a.id, order);
    words[at + 2] = a.eventId & 0xffff;
    words[at + 3] = a.stringId ?? 0;
    words[at + 4] = a.block ?? 0;
    words[at + 5] = SEVERITY_CODE[a.severity] | (a.acknowledgedAt !== undefined ? 0x100 : 0) | (a.latched ? 0x200 : 0);
    write32(words, at + 6, Math.floor(a.raisedAt / 1000), order);
  }

  // Commands (read-back) and block records.
  if (string) {
    const equalization = snapshot.column("block.equalization");
    let equalizing = 0;
    for (let n = 1; n <= string.blockCount; n++) {
      const row = string.firstBlockRow + n - 1;
      const base = blockRecordAddress(n);
      words[base + 1] = (stringBits?.blockBits.get(n) ?? 0) & 0xffff;
      pointsOf(words, base, QUALITY_REGISTER.block, BLOCK_POINTS, snapshot, row, order);
      if (equalization.quality(row) === 0 && equalization.value(row) === 1) equalizing = 1;
    }
    words[COMMAND_BASE + 10] = equalizing;
    const output = (id: PointId) => {
      const s = snapshot.sample(id, string.index);
      return s.quality === "good" && Number.isFinite(s.value) ? (s.value ? 1 : 0) : 0xffff;
    };
    words[COMMAND_BASE + 11] = output("string.loadDisconnect");
    words[COMMAND_BASE + 12] = output("string.chargeDisconnect");
  } else {
    const equalization = snapshot.column("block.equalization");
    let anyEqualizing = 0;
    for (let row = 0; row < equalization.rows && anyEqualizing === 0; row++)
      if (equalization.value(row) === 1 && equalization.quality(row) === 0) anyEqualizing = 1;
    words[COMMAND_BASE + 10] = anyEqualizing;
    words[COMMAND_BASE + 11] = 0xffff;
    words[COMMAND_BASE + 12] = 0xffff;
  }
  return words;
}
