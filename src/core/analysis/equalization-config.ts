import { z } from "zod";
import { duration } from "../config/primitives.js";

/**
 * The `equalization` section: automatic bypass balancing in float (BP100 / BACS style). Voltages are per block and
 * relative to the string's mean block voltage. Off by default: the gateway switches probe bypasses only when told.
 */

const volts = z.number().positive();
const amps = z.number().positive();

const stringOverrides = z
  .strictObject({
    enabled: z.boolean().optional().meta({ description: "Equalize this string (default: the section's enabled)." }),
    band: volts.optional(),
    target: volts.optional(),
    timeout: duration.optional(),
    dischargeCurrent: amps.optional(),
    chargeCurrent: amps.optional(),
  })
  .meta({ description: "Overrides for one string; absent fields take the section's values." });

export const equalizationConfigSchema = z
  .strictObject({
    enabled: z.boolean().default(false).meta({ description: "Switch probe bypasses automatically in float." }),
    band: volts.optional().meta({
      description:
        "Start when a block is this far above the string mean, V. Default by nominal block voltage: 15 mV at 2 V, 30 mV at 12 V, linear in between and beyond.",
    }),
    target: volts.optional().meta({
      description: "Stop when the block is back within this of the mean, V (default: half the band).",
    }),
    timeout: duration
      .default(7_200_000)
      .meta({ description: "A block still outside the target after this long is failed (alarm 112)." }),
    retryAfter: duration
      .default(43_200_000)
      .meta({ description: "A failed block is tried again after this long (it also recovers once back in band)." }),
    dischargeCurrent: amps.optional().meta({
      description:
        "Without a derived charge state: the string discharges below −this, A (default capacity/100, as alarm 206).",
    }),
    chargeCurrent: amps.optional().meta({
      description: "Without a derived charge state: the string is in boost charge above this, A (default capacity/50).",
    }),
    strings: z
      .record(z.string().regex(/^\d+$/, "use the string id"), stringOverrides)
      .default({})
      .meta({ description: "Overrides per string id." }),
  })
  .meta({ description: "Automatic equalization (bypass balancing) in float; docs/equalization-and-protection.md." });

export type EqualizationConfig = z.output<typeof equalizationConfigSchema>;

/** Default band of a block of `nominal` volts: 15 mV at 2 V, 30 mV at 12 V (BP100), linear in between. */
export function defaultBand(nominal: number): number {
  return Math.round((0.015 + (nominal - 2) * 0.0015) * 1e4) / 1e4;
}

/** What the cross-check and the controller need of each configured string. */
export interface EqualizedString {
  readonly id: number;
  readonly nominalBlockVoltage: number;
  readonly capacityAh: number;
}

/** Effective settings of one string after defaults and overrides. */
export interface EffectiveEqualization {
  readonly enabled: boolean;
  readonly band: number;
  readonly target: number;
  readonly timeout: number;
  readonly retryAfter: number;
  readonly dischargeCurrent: number;
  readonly chargeCurrent: number;
}

export function resolveEqualization(config: EqualizationConfig, s: EqualizedString): EffectiveEqualization {
  const own = config.strings[String(s.id)] ?? {};
  const band = own.band ?? config.band ?? defaultBand(s.nominalBlockVoltage);
  return {
    enabled: own.enabled ?? config.enabled,
    band,
    target: own.target ?? config.target ?? band / 2,
    timeout: own.timeout ?? config.timeout,
    retryAfter: config.retryAfter,
    dischargeCurrent: own.dischargeCurrent ?? config.dischargeCurrent ?? s.capacityAh / 100,
    chargeCurrent: own.chargeCurrent ?? config.chargeCurrent ?? s.capacityAh / 50,
  };
}

/** Cross-field checks that need the strings; every issue names its path under `equalization`. */
export function refineEqualizationConfig(
  config: { equalization: EqualizationConfig; strings: readonly EqualizedString[] },
  ctx: z.RefinementCtx,
): void {
  const eq = config.equalization;
  // A global setting wrong for every string is reported once, at its path.
  const seen = new Set<string>();
  const issue = (path: (string | number)[], message: string) => {
    const key = path.join(".");
    if (seen.has(key)) return;
    seen.add(key);
    ctx.addIssue({ code: "custom", path: ["equalization", ...path], message });
  };
  const ids = new Set(config.strings.map((s) => s.id));
  for (const key of Object.keys(eq.strings))
    if (!ids.has(Number(key))) issue(["strings", key], `no string ${key} is configured`);
  for (const s of config.strings) {
    const own = eq.strings[String(s.id)];
    const effective = resolveEqualization(eq, s);
    if (effective.target >= effective.band) {
      const where =
        own?.target !== undefined
          ? ["strings", String(s.id), "target"]
          : eq.target !== undefined
            ? ["target"]
            : own?.band !== undefined
              ? ["strings", String(s.id), "band"]
              : ["band"];
      issue(where, `target (${effective.target} V) must be below band (${effective.band} V) for string ${s.id}`);
    }
    if (effective.timeout <= 0)
      issue(own?.timeout !== undefined ? ["strings", String(s.id), "timeout"] : ["timeout"], "timeout must be > 0");
  }
}
