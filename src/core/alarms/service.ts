import { join } from "node:path";
import { ResistanceBaselineStore } from "../analysis/baselines.js";
import type { CoreService } from "../service.js";
import type { AlarmsConfig } from "./config-schema.js";
import { AlarmEngine } from "./engine.js";

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
    // One store, shared with the analysis service (it captures final baselines), read live by the engine.
    const baselines = new ResistanceBaselineStore(file, topology);
    ctx.provide({ resistanceBaselines: baselines });
    // Alarm ids continue from the event log, so an id an operator saw before a restart never names another alarm.
    const lastRaised = ctx.services?.eventLog?.query({ kind: "alarm-raised", limit: 1 })[0];
    const lastId = Number(lastRaised?.detail?.alarm ?? 0);
    const engine = new AlarmEngine({
      topology,
      config: ctx.config,
      firstAlarmId: Number.isSafeInteger(lastId) && lastId > 0 ? lastId + 1 : 1,
      emit: (record) => {
        ctx.health.count("transitions");
        ctx.emit(record);
      },
      baselines: baselines.values,
      onBaselinesLearned: () => {
        try {
          baselines.save();
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
      }
    });
    ctx.bus.on("health", (component, state, text) => {
      engine.componentFailed(component, state === "down" ? text || "down" : undefined);
      ctx.requestCommit();
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
