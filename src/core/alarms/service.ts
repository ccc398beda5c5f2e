import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import type { CoreService } from "../service.js";
import type { PlantTopology } from "../topology.js";
import type { AlarmsConfig } from "./config-schema.js";
import { AlarmEngine } from "./engine.js";

const baselineFile = z.record(z.string().regex(/^\d+\/\d+$/), z.number().positive());

/** Resistance baselines learned from the first good measurement, kept across restarts in `storage.path`. */
function loadBaselines(file: string, topology: PlantTopology): Float64Array {
  const baselines = new Float64Array(topology.blockCount).fill(Number.NaN);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return baselines;
  }
  const parsed = baselineFile.safeParse(JSON.parse(text));
  if (!parsed.success) return baselines;
  for (const s of topology.strings)
    for (let b = 1; b <= s.blockCount; b++) {
      const value = parsed.data[`${s.id}/${b}`];
      if (value !== undefined) baselines[s.firstBlockRow + b - 1] = value;
    }
  return baselines;
}

function saveBaselines(file: string, topology: PlantTopology, baselines: Float64Array): void {
  const out: Record<string, number> = {};
  for (const s of topology.strings)
    for (let b = 1; b <= s.blockCount; b++) {
      const value = baselines[s.firstBlockRow + b - 1] ?? Number.NaN;
      if (!Number.isNaN(value)) out[`${s.id}/${b}`] = value;
    }
  // Write then rename, so a crash never leaves a half-written file.
  writeFileSync(`${file}.tmp`, `${JSON.stringify(out)}\n`);
  renameSync(`${file}.tmp`, file);
}

/**
 * The alarms service: evaluates thresholds in a deriver (every commit), puts the active list and summary into the
 * snapshot, emits every transition on the bus and implements the `alarm-ack` command (audited as event 404).
 */
export const alarmsService: CoreService<AlarmsConfig> = {
  name: "alarms",
  async start(ctx) {
    if (!ctx.config.enabled) {
      ctx.health.set("stopped", "alarms disabled in config");
      return;
    }
    const topology = ctx.store.topology;
    const file = join(ctx.storagePath, "resistance-baselines.json");
    const engine = new AlarmEngine({
      topology,
      config: ctx.config,
      emit: ctx.emit,
      baselines: loadBaselines(file, topology),
      onBaselinesLearned: (baselines) => {
        try {
          saveBaselines(file, topology, baselines);
        } catch (error) {
          ctx.log.error(
            { err: error, file },
            "E_ALARMS_BASELINE_SAVE: cannot save resistance baselines; check storage.path",
          );
        }
      },
    });
    ctx.store.addDeriver((model, dirtyStrings, changes) => {
      if (engine.evaluate(model, dirtyStrings, changes)) {
        model.setAlarms(engine.active(), engine.summary());
        ctx.health.count("transitions");
      }
    });
    ctx.onConfigChange((config) => {
      if (!config.enabled) return false;
      engine.reconfigure(config);
      ctx.requestCommit();
      return true;
    });
    ctx.commands.handle("alarm-ack", async (request, principal) => {
      if (request.alarmId !== "all" && !engine.has(request.alarmId))
        return { ok: false, error: `no active alarm ${request.alarmId}`, code: "E_ALARM_UNKNOWN" };
      const done = engine.acknowledge(request.alarmId, principal.user);
      ctx.commands.audit({
        name: "alarm-acknowledged",
        user: principal.user,
        text:
          done.length > 0
            ? `${principal.user} acknowledged ${done.map((a) => `#${a.id} ${a.name}`).join(", ")}`
            : `${principal.user} acknowledged nothing: no unacknowledged alarm`,
        detail: { source: principal.source, alarms: done.map((a) => String(a.id)).join(",") },
      });
      if (done.length > 0) {
        ctx.store.setAlarms(engine.active(), engine.summary());
        ctx.requestCommit();
      }
      return { ok: true, message: `${done.length} alarm(s) acknowledged`, data: done };
    });
    ctx.health.set("ok", `${topology.blockCount} blocks under watch`);
  },
};
