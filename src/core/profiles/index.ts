import { cellProbe } from "./cell-probe.js";
import { envSensor } from "./env-sensor.js";
import { relayModule } from "./relay-module.js";
import { stringMaster } from "./string-master.js";
import { stringSensor } from "./string-sensor.js";
import type { DeviceProfile, RegisterField } from "./types.js";

export * from "./types.js";

export const PROFILES: readonly DeviceProfile[] = [cellProbe, stringMaster, stringSensor, envSensor, relayModule];

export function profileById(id: string): DeviceProfile | undefined {
  return PROFILES.find((p) => p.id === id);
}

export function profileByTypeCode(code: number): DeviceProfile | undefined {
  return PROFILES.find((p) => p.typeCode === code);
}

export function registerCount(type: RegisterField["type"]): 1 | 2 {
  return type === "u32" || type === "s32" ? 2 : 1;
}

/** Decodes a field from raw registers starting at `offset` (big-endian words). */
export function decodeField(field: RegisterField, words: ArrayLike<number>, offset: number): number {
  const hi = words[offset] ?? 0;
  switch (field.type) {
    case "u16":
      return hi * field.scale;
    case "s16":
      return (hi >= 0x8000 ? hi - 0x10000 : hi) * field.scale;
    case "u32":
      return (hi * 0x10000 + (words[offset + 1] ?? 0)) * field.scale;
    case "s32": {
      const raw = hi * 0x10000 + (words[offset + 1] ?? 0);
      return (raw >= 0x80000000 ? raw - 0x100000000 : raw) * field.scale;
    }
  }
}

/** Encodes an engineering value into `words` at `offset`; the inverse of decodeField, clamped to the type. */
export function encodeField(field: RegisterField, value: number, words: number[] | Uint16Array, offset: number): void {
  let raw = Math.round(value / field.scale);
  switch (field.type) {
    case "u16":
      words[offset] = Math.min(Math.max(raw, 0), 0xffff);
      return;
    case "s16":
      raw = Math.min(Math.max(raw, -0x8000), 0x7fff);
      words[offset] = raw & 0xffff;
      return;
    case "u32":
      raw = Math.min(Math.max(raw, 0), 0xffffffff);
      words[offset] = Math.floor(raw / 0x10000);
      words[offset + 1] = raw % 0x10000;
      return;
    case "s32": {
      raw = Math.min(Math.max(raw, -0x80000000), 0x7fffffff);
      const unsigned = raw < 0 ? raw + 0x100000000 : raw;
      words[offset] = Math.floor(unsigned / 0x10000);
      words[offset + 1] = unsigned % 0x10000;
      return;
    }
  }
}
