import { type DeviceProfile, profileByTypeCode, STANDARD_IDENTITY } from "../profiles/index.js";
import type { DeviceInfo, PlantTopology } from "../topology.js";
import type { BusMaster } from "./bus-master.js";

export interface FoundDevice {
  readonly address: number;
  readonly typeCode: number;
  readonly profile?: DeviceProfile;
  readonly serial: string;
  readonly firmware: string;
}

export interface DiscoveryReport {
  readonly bus: string;
  readonly scanned: number;
  readonly found: readonly FoundDevice[];
  /** Configured but silent. */
  readonly missing: readonly DeviceInfo[];
  /** Answering but not configured. */
  readonly extra: readonly FoundDevice[];
  /** Answering with another type than configured. */
  readonly wrongType: readonly { expected: DeviceInfo; found: FoundDevice }[];
  /** Answering with another serial than commissioned. */
  readonly wrongSerial: readonly { expected: DeviceInfo; found: FoundDevice }[];
}

/** Scans `addresses` on one bus for devices by reading their identity registers. */
export async function scanBus(master: BusMaster, addresses: Iterable<number>): Promise<FoundDevice[]> {
  const found: FoundDevice[] = [];
  const id = STANDARD_IDENTITY;
  for (const address of addresses) {
    try {
      const w = await master.readRegisters(address, 0, id.firmware + 1);
      const typeCode = w[id.type] ?? 0;
      const fw = w[id.firmware] ?? 0;
      const profile = profileByTypeCode(typeCode);
      found.push({
        address,
        typeCode,
        ...(profile ? { profile } : {}),
        serial: String((w[id.serial] ?? 0) * 0x10000 + (w[id.serial + 1] ?? 0)),
        firmware: `${fw >> 8}.${fw & 0xff}`,
      });
    } catch {
      // silence or an exception reply: nothing we know at this address
    }
  }
  return found;
}

/** Compares what answered with what the configuration expects on that bus. */
export function compareWithTopology(
  bus: string,
  scanned: readonly number[],
  found: readonly FoundDevice[],
  topology: PlantTopology,
): DiscoveryReport {
  const inScan = new Set(scanned);
  const expected = topology.devices.filter((d) => d.bus === bus && inScan.has(d.address));
  const byAddress = new Map(found.map((f) => [f.address, f]));
  const missing: DeviceInfo[] = [];
  const wrongType: { expected: DeviceInfo; found: FoundDevice }[] = [];
  const wrongSerial: { expected: DeviceInfo; found: FoundDevice }[] = [];
  for (const d of expected) {
    const f = byAddress.get(d.address);
    if (!f) missing.push(d);
    else if (f.typeCode !== d.profile.typeCode) wrongType.push({ expected: d, found: f });
    else if (d.expectedSerial && d.expectedSerial !== f.serial) wrongSerial.push({ expected: d, found: f });
  }
  const configured = new Set(expected.map((d) => d.address));
  const extra = found.filter((f) => !configured.has(f.address));
  return { bus, scanned: scanned.length, found, missing, extra, wrongType, wrongSerial };
}

/** "1-120,201,210-220" → the addresses, or undefined when malformed or outside 1..247. */
export function parseAddressList(text: string): number[] | undefined {
  const out = new Set<number>();
  for (const part of text.split(",")) {
    const m = /^\s*(\d+)(?:\s*-\s*(\d+))?\s*$/.exec(part);
    if (!m) return undefined;
    const from = Number(m[1]);
    const to = Number(m[2] ?? m[1]);
    if (from < 1 || to > 247 || from > to) return undefined;
    for (let a = from; a <= to; a++) out.add(a);
  }
  return [...out].sort((a, b) => a - b);
}
