import { z } from "zod";
import type { AlarmsConfig } from "../alarms/config-schema.js";
import { cellsPerBlock, resolveThresholds } from "../alarms/thresholds.js";
import type { Chemistry } from "../config/core-schema.js";
import { duration } from "../config/primitives.js";

/**
 * The `protection` section: Victron smallBMS-style load-disconnect and charge-disconnect outputs through each
 * string's relay module. Voltages are per block (what a meter reads across one block); absent ones come from the
 * string's chemistry (table below) times its cells per block. Off by default: the gateway switches relays only when
 * told to.
 */

/** Per-cell defaults: disconnect and reconnect levels (the gap is the hysteresis). */
const CELL_LEVELS: Readonly<
  Record<Chemistry, { loadOff: number; loadOn: number; chargeOff: number; chargeOn: number }>
> = {
  // Lead-acid: end of discharge 1.75 V/cell; charge cut above the 2.40 V/cell high alarm, back below boost level.
  vrla: { loadOff: 1.75, loadOn: 1.95, chargeOff: 2.4, chargeOn: 2.3 },
  vla: { loadOff: 1.75, loadOn: 1.95, chargeOff: 2.38, chargeOn: 2.28 },
  // smallBMS: load off at 2.8 V/cell, charge off at cell over-voltage.
  lifepo4: { loadOff: 2.8, loadOn: 3.1, chargeOff: 3.65, chargeOn: 3.45 },
  nicd: { loadOff: 1.0, loadOn: 1.15, chargeOff: 1.55, chargeOn: 1.45 },
};

const volts = z.number().positive();
const failSafeState = z
  .enum(["open", "closed", "hold"])
  .meta({ description: "open: disconnect; closed: connect; hold: keep the state it had." });

const loadLevels = z.strictObject({
  voltage: volts.optional().meta({ description: "Open the load output when any block falls below this, V." }),
  reconnectVoltage: volts
    .optional()
    .meta({ description: "Close it again once every block is at or above this, V (hysteresis)." }),
});

const chargeLevels = z.strictObject({
  voltage: volts.optional().meta({ description: "Open the charge output when any block rises above this, V." }),
  reconnectVoltage: volts
    .optional()
    .meta({ description: "Close it again once every block is at or below this, V (hysteresis)." }),
  temperatureHigh: z.number().optional().meta({ description: "Open above this block temperature, °C." }),
  temperatureLow: z.number().optional().meta({ description: "Open below this block temperature, °C." }),
  temperatureHysteresis: z
    .number()
    .positive()
    .optional()
    .meta({ description: "Reconnect only this far back inside the temperature limits, °C." }),
});

export const protectionConfigSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(false)
      .meta({ description: "Drive the relay modules' outputs automatically (every string with a relay module)." }),
    loadDisconnect: loadLevels
      .extend({
        prealarmLead: duration.default(30_000).meta({
          description:
            "The load-disconnect pre-alarm (207, level alarms.thresholds.blockVoltage.loadDisconnectPrealarm) must have been raised at least this long before the load output opens.",
        }),
      })
      .default({ prealarmLead: 30_000 }),
    chargeDisconnect: chargeLevels.default({}),
    remoteInput: z
      .boolean()
      .default(true)
      .meta({ description: "The relay module's remote on/off input turns both outputs off while off." }),
    failSafe: z
      .strictObject({
        load: failSafeState.default("open"),
        charge: failSafeState.default("open"),
        staleAfter: duration
          .default(30_000)
          .meta({ description: "Block data older than this (or not good) puts the string in fail-safe." }),
        recoverAfter: duration.default(10_000).meta({
          description: "Leave fail-safe only after block data and relay module were good for this long.",
        }),
      })
      .default({ load: "open", charge: "open", staleAfter: 30_000, recoverAfter: 10_000 })
      .meta({ description: "Outputs while block data is stale or the relay module does not answer." }),
    retryInterval: duration
      .default(5000)
      .meta({ description: "A refused relay write is repeated at most this often." }),
    strings: z
      .record(
        z.string().regex(/^\d+$/, "use the string id"),
        z.strictObject({ loadDisconnect: loadLevels.optional(), chargeDisconnect: chargeLevels.optional() }),
      )
      .default({})
      .meta({ description: "Level overrides per string id." }),
  })
  .meta({ description: "smallBMS-style protection outputs; docs/equalization-and-protection.md." });

export type ProtectionConfig = z.output<typeof protectionConfigSchema>;
export type FailSafeState = z.output<typeof failSafeState>;

/** What the checks and the controller need of each configured string. */
export interface ProtectedString {
  readonly id: number;
  readonly chemistry: Chemistry;
  readonly nominalBlockVoltage: number;
  readonly capacityAh: number;
}

export interface EffectiveProtection {
  readonly loadOff: number;
  readonly loadOn: number;
  readonly chargeOff: number;
  readonly chargeOn: number;
  readonly temperatureHigh: number;
  readonly temperatureLow: number;
  readonly temperatureHysteresis: number;
}

const round = (x: number) => Math.round(x * 1e4) / 1e4;

export function resolveProtection(config: ProtectionConfig, s: ProtectedString): EffectiveProtection {
  const cells = cellsPerBlock(s);
  const d = CELL_LEVELS[s.chemistry];
  const own = config.strings[String(s.id)];
  const load = { ...config.loadDisconnect, ...own?.loadDisconnect };
  const charge = { ...config.chargeDisconnect, ...own?.chargeDisconnect };
  return {
    loadOff: load.voltage ?? round(d.loadOff * cells),
    loadOn: load.reconnectVoltage ?? round(d.loadOn * cells),
    chargeOff: charge.voltage ?? round(d.chargeOff * cells),
    chargeOn: charge.reconnectVoltage ?? round(d.chargeOn * cells),
    temperatureHigh: charge.temperatureHigh ?? 50,
    temperatureLow: charge.temperatureLow ?? 5,
    temperatureHysteresis: charge.temperatureHysteresis ?? 3,
  };
}

/**
 * Cross-field checks: string keys exist and have a relay module, reconnect levels lie on the right side of their
 * disconnect levels, the temperature window stays open with its hysteresis, and the pre-alarm (an alarms setting)
 * is enabled and above the load-disconnect level. Every issue names its path.
 */
export function refineProtectionConfig(
  config: {
    protection: ProtectionConfig;
    alarms: AlarmsConfig;
    strings: readonly (ProtectedString & { blocks: number; relay?: unknown })[];
  },
  ctx: z.RefinementCtx,
): void {
  const p = config.protection;
  const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: "custom", path, message });
  const byId = new Map(config.strings.map((s) => [s.id, s]));
  for (const key of Object.keys(p.strings)) {
    const s = byId.get(Number(key));
    if (!s) issue(["protection", "strings", key], `no string ${key} is configured`);
    else if (!s.relay)
      issue(["protection", "strings", key], `string ${key} has no relay module (strings[].relay.address)`);
  }
  if (p.enabled && !config.strings.some((s) => s.relay))
    issue(["protection", "enabled"], "no string has a relay module: configure strings[].relay or disable protection");
  /** The most specific place a level is set, for the error path. */
  const origin = (id: number, group: "loadDisconnect" | "chargeDisconnect", key: string): (string | number)[] => {
    const own = p.strings[String(id)]?.[group] as Record<string, unknown> | undefined;
    if (own?.[key] !== undefined) return ["protection", "strings", String(id), group, key];
    return ["protection", group, key];
  };
  const seen = new Set<string>();
  const report = (path: (string | number)[], message: string) => {
    const key = path.join(".");
    if (seen.has(key)) return;
    seen.add(key);
    issue(path, message);
  };
  for (const s of config.strings) {
    if (!s.relay) continue;
    const e = resolveProtection(p, s);
    if (e.loadOn <= e.loadOff)
      report(
        origin(s.id, "loadDisconnect", "reconnectVoltage"),
        `reconnectVoltage (${e.loadOn} V) must be above voltage (${e.loadOff} V) for string ${s.id}`,
      );
    if (e.chargeOn >= e.chargeOff)
      report(
        origin(s.id, "chargeDisconnect", "reconnectVoltage"),
        `reconnectVoltage (${e.chargeOn} V) must be below voltage (${e.chargeOff} V) for string ${s.id}`,
      );
    if (e.loadOn >= e.chargeOff)
      report(
        origin(s.id, "loadDisconnect", "reconnectVoltage"),
        `load reconnectVoltage (${e.loadOn} V) must be below the charge-disconnect voltage (${e.chargeOff} V) for string ${s.id}`,
      );
    if (e.temperatureLow + e.temperatureHysteresis >= e.temperatureHigh - e.temperatureHysteresis)
      report(
        origin(s.id, "chargeDisconnect", "temperatureLow"),
        `temperatureLow (${e.temperatureLow} °C) plus hysteresis must stay below temperatureHigh (${e.temperatureHigh} °C) minus hysteresis for string ${s.id}`,
      );
    if (!p.enabled || p.loadDisconnect.prealarmLead <= 0) continue;
    const prealarm = resolveThresholds(config.alarms, s).blockVoltage.loadDisconnectPrealarm;
    if (!(prealarm > e.loadOff))
      report(
        origin(s.id, "loadDisconnect", "voltage"),
        `voltage (${e.loadOff} V) must be below the load-disconnect pre-alarm level (${prealarm} V, alarms.thresholds.blockVoltage.loadDisconnectPrealarm) for string ${s.id}`,
      );
  }
  if (p.enabled && p.loadDisconnect.prealarmLead > 0) {
    if (!config.alarms.enabled)
      issue(
        ["protection", "loadDisconnect", "prealarmLead"],
        "the load-disconnect pre-alarm needs alarms.enabled: true (or set prealarmLead: 0)",
      );
    else if (config.alarms.rules["load-disconnect-prealarm"]?.enabled === false)
      issue(
        ["protection", "loadDisconnect", "prealarmLead"],
        "the load-disconnect pre-alarm is disabled in alarms.rules (enable it or set prealarmLead: 0)",
      );
  }
}
