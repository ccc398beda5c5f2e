import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { z } from "zod";
import type { PlantTopology } from "../topology.js";
import type { ResistanceBaselines } from "./types.js";

const baselineFile = z.record(z.string().regex(/^\d+\/\d+$/), z.number().positive());

/**
 * Resistance baselines by block row, kept in a JSON file keyed "S/B" (written then renamed, so a crash never
 * leaves half a file). `values` is shared with whoever reads baselines live (the alarm engine).
 */
export class ResistanceBaselineStore implements ResistanceBaselines {
  readonly values: Float64Array;

  constructor(
    private readonly file: string,
    private readonly topology: PlantTopology,
  ) {
    this.values = new Float64Array(topology.blockCount).fill(Number.NaN);
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch {
      return;
    }
    let parsed: ReturnType<typeof baselineFile.safeParse>;
    try {
      parsed = baselineFile.safeParse(JSON.parse(text));
    } catch {
      return;
    }
    if (!parsed.success) return;
    for (const s of topology.strings)
      for (let b = 1; b <= s.blockCount; b++) {
        const value = parsed.data[`${s.id}/${b}`];
        if (value !== undefined) this.values[s.firstBlockRow + b - 1] = value;
      }
  }

  get(row: number): number {
    return this.values[row] ?? Number.NaN;
  }

  set(entries: readonly { readonly row: number; readonly value: number }[]): void {
    for (const { row, value } of entries)
      if (row >= 0 && row < this.values.length) this.values[row] = value > 0 ? value : Number.NaN;
    this.save();
  }

  /** Writes the file; throws when it cannot. */
  save(): void {
    const out: Record<string, number> = {};
    for (const s of this.topology.strings)
      for (let b = 1; b <= s.blockCount; b++) {
        const value = this.values[s.firstBlockRow + b - 1] ?? Number.NaN;
        if (!Number.isNaN(value)) out[`${s.id}/${b}`] = value;
      }
    writeFileSync(`${this.file}.tmp`, `${JSON.stringify(out)}\n`);
    renameSync(`${this.file}.tmp`, this.file);
  }
}
