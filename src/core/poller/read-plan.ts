import { type DeviceProfile, type RegisterField, registerCount } from "../profiles/index.js";

/** One register read in a sweep. */
export interface ReadRange {
  readonly start: number;
  readonly count: number;
}

/** A field placed at an absolute register address, for one block (1-based within the device) or the device. */
export interface PlacedField {
  readonly field: RegisterField;
  readonly address: number;
  /** 0 for device-level fields, else the block number within the device. */
  readonly block: number;
}

export const MAX_READ_REGISTERS = 125;

/** Every field a sweep reads from a device with `blockCount` blocks, at its absolute address. */
export function placeFields(profile: DeviceProfile, blockCount: number): PlacedField[] {
  const placed: PlacedField[] = profile.fields.map((field) => ({ field, address: field.address, block: 0 }));
  const record = profile.blockRecord;
  if (record)
    for (let b = 1; b <= blockCount; b++)
      for (const field of record.fields)
        placed.push({ field, address: record.base + (b - 1) * record.stride + field.address, block: b });
  return placed.sort((a, b) => a.address - b.address);
}

/**
 * Splits the fields into the fewest reads of at most `maxCount` registers, reading through unused gaps of up to
 * `maxGap` registers where that helps; among plans with as few reads, the one reading the fewest registers wins.
 * A multi-register value is never split across two reads, so no 32-bit value is torn. Exact (dynamic programming
 * over the sorted fields), and cheap: a read can only reach back `maxCount` registers.
 */
export function coalesce(fields: readonly PlacedField[], maxCount = MAX_READ_REGISTERS, maxGap = 16): ReadRange[] {
  const sorted = [...fields].sort((a, b) => a.address - b.address);
  const n = sorted.length;
  if (n === 0) return [];
  const start = (i: number) => (sorted[i] as PlacedField).address;
  const end = (i: number) => start(i) + registerCount((sorted[i] as PlacedField).field.type);
  // best[j] = cheapest plan covering fields 0..j-1: [reads, registers, first field of the last read]
  const best: [number, number, number][] = [[0, 0, 0]];
  for (let j = 1; j <= n; j++) {
    let choice: [number, number, number] = [Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY, j - 1];
    let spanEnd = end(j - 1);
    for (let i = j - 1; i >= 0; i--) {
      spanEnd = Math.max(spanEnd, end(i));
      if (spanEnd - start(i) > maxCount) break;
      if (i < j - 1 && start(i + 1) - end(i) > maxGap) break;
      const before = best[i] as [number, number, number];
      const cost: [number, number, number] = [before[0] + 1, before[1] + spanEnd - start(i), i];
      if (cost[0] < choice[0] || (cost[0] === choice[0] && cost[1] < choice[1])) choice = cost;
    }
    best.push(choice);
  }
  const ranges: ReadRange[] = [];
  for (let j = n; j > 0; ) {
    const i = (best[j] as [number, number, number])[2];
    let spanEnd = 0;
    for (let k = i; k < j; k++) spanEnd = Math.max(spanEnd, end(k));
    ranges.push({ start: start(i), count: spanEnd - start(i) });
    j = i;
  }
  return ranges.reverse();
}

/** A lower bound on the reads for these fields: their register total over the per-read limit. */
export function minimumReads(fields: readonly PlacedField[], maxCount = MAX_READ_REGISTERS): number {
  const registers = fields.reduce((sum, f) => sum + registerCount(f.field.type), 0);
  return Math.ceil(registers / maxCount);
}
