import type { Chemistry, CoreConfig, SiteConfig } from "./config/core-schema.js";
import { type DeviceProfile, profileById } from "./profiles/index.js";

/** One string of the plant; `index` is its 0-based position, `id` the configured string number. */
export interface StringInfo {
  readonly index: number;
  readonly id: number;
  readonly name: string;
  readonly bus: string;
  readonly chemistry: Chemistry;
  readonly nominalBlockVoltage: number;
  readonly blockCount: number;
  readonly capacityAh: number;
  /** Row of this string's first block in the flat block tables. */
  readonly firstBlockRow: number;
}

/** What a device on a bus stands for in the plant. */
export type DeviceRole =
  | { readonly kind: "blocks"; readonly stringIndex: number; readonly firstBlock: number; readonly blockCount: number }
  | { readonly kind: "string-sensor"; readonly stringIndex: number }
  | { readonly kind: "relay"; readonly stringIndex: number }
  | { readonly kind: "environment" };

export interface DeviceInfo {
  /** Position in the device tables. */
  readonly index: number;
  readonly bus: string;
  readonly address: number;
  readonly profile: DeviceProfile;
  readonly role: DeviceRole;
  /** Serial number bound at commissioning, if any (single-block probes only). */
  readonly expectedSerial?: string;
}

export interface PlantTopology {
  readonly site: SiteConfig;
  readonly strings: readonly StringInfo[];
  readonly blockCount: number;
  /** The string index of every block row (per-block work looks its string up without a search). */
  readonly stringOfBlock: Int32Array;
  readonly devices: readonly DeviceInfo[];
  readonly buses: readonly string[];
}

export function buildTopology(config: CoreConfig): PlantTopology {
  const strings: StringInfo[] = [];
  const devices: DeviceInfo[] = [];
  let row = 0;
  const addDevice = (d: Omit<DeviceInfo, "index">) => devices.push({ ...d, index: devices.length });
  const mustProfile = (id: string) => {
    const p = profileById(id);
    if (!p) throw new Error(`unknown device profile "${id}"`);
    return p;
  };
  config.strings.forEach((s, index) => {
    strings.push({
      index,
      id: s.id,
      name: s.name ?? `String ${s.id}`,
      bus: s.bus,
      chemistry: s.chemistry,
      nominalBlockVoltage: s.nominalBlockVoltage,
      blockCount: s.blocks,
      capacityAh: s.capacityAh,
      firstBlockRow: row,
    });
    row += s.blocks;
    const profile = mustProfile(s.probes.profile);
    const per = profile.blocksPerDevice;
    const count = Math.ceil(s.blocks / per);
    for (let k = 0; k < count; k++) {
      const address = Array.isArray(s.probes.address) ? (s.probes.address[k] ?? 0) : s.probes.address + k;
      const firstBlock = k * per + 1;
      const blockCount = Math.min(per, s.blocks - k * per);
      const serial = per === 1 ? s.serials?.[String(firstBlock)] : undefined;
      addDevice({
        bus: s.bus,
        address,
        profile,
        role: { kind: "blocks", stringIndex: index, firstBlock, blockCount },
        ...(serial ? { expectedSerial: serial } : {}),
      });
    }
    if (s.stringSensor)
      addDevice({
        bus: s.bus,
        address: s.stringSensor.address,
        profile: mustProfile(s.stringSensor.profile ?? "string-sensor"),
        role: { kind: "string-sensor", stringIndex: index },
      });
    if (s.relay)
      addDevice({
        bus: s.bus,
        address: s.relay.address,
        profile: mustProfile(s.relay.profile ?? "relay-module"),
        role: { kind: "relay", stringIndex: index },
      });
  });
  if (config.environment)
    addDevice({
      bus: config.environment.bus,
      address: config.environment.address,
      profile: mustProfile(config.environment.profile),
      role: { kind: "environment" },
    });
  const stringOfBlock = new Int32Array(row);
  for (const x of strings) stringOfBlock.fill(x.index, x.firstBlockRow, x.firstBlockRow + x.blockCount);
  return {
    site: config.site,
    strings,
    blockCount: row,
    stringOfBlock,
    devices,
    buses: config.buses.map((b) => b.id),
  };
}

/** Finds a string by its configured id. */
export function stringById(topology: PlantTopology, id: number): StringInfo | undefined {
  return topology.strings.find((s) => s.id === id);
}

/** Row of block `block` (1-based) of string `stringId`, or undefined when out of range. */
export function blockRow(topology: PlantTopology, stringId: number, block: number): number | undefined {
  const s = stringById(topology, stringId);
  if (!s || !Number.isInteger(block) || block < 1 || block > s.blockCount) return undefined;
  return s.firstBlockRow + block - 1;
}

/** Parses "S/B" (string id / block number) as used by the CLI and scenarios. */
export function parseBlockRef(text: string): { stringId: number; block: number } | undefined {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!m) return undefined;
  return { stringId: Number(m[1]), block: Number(m[2]) };
}
