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
 * Merges the fields into the fewest reads of at most `maxCount` registers. A gap of up to `maxGap` unused registers
 * is read through when that saves a transaction; a multi-register value is never split across two reads, so no
 * 32-bit value is torn.
 */
export function coalesce(fields: readonly PlacedField[], maxCount = MAX_READ_REGISTERS, maxGap = 16): ReadRange[] {
  const ranges: ReadRange[] = [];
  let start = -1;
  let end = -1; // exclusive
  for (const f of fields) {
    const fEnd = f.address + registerCount(f.field.type);
    if (start < 0) {
      start = f.address;
      end = fEnd;
      continue;
    }
    const gap = f.address - end;
    if (gap <= maxGap && Math.max(end, fEnd) - start <= maxCount) {
      end = Math.max(end, fEnd);
    } else {
      ranges.push({ start, count: end - start });
      start = f.address;
      end = fEnd;
    }
  }
  if (start >= 0) ranges.push({ start, count: end - start });
  return ranges;
}

/** The least number of reads that can cover these fields: their register total over the per-read limit. */
export function minimumReads(fields: readonly PlacedField[], maxCount = MAX_READ_REGISTERS): number {
  const registers = fields.reduce((sum, f) => sum + registerCount(f.field.type), 0);
  return Math.ceil(registers / maxCount);
}
