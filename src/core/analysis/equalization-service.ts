import type { Principal } from "../adapter.js";
import { Q_GOOD } from "../model.js";
import type { CoreService } from "../service.js";
import { EqualizationController } from "./equalization.js";
import type { EqualizationConfig } from "./equalization-config.js";

/**
 * The equalization service: evaluates the controller on every committed snapshot and switches probe bypasses
 * through the gateway's own `equalize` command (`ctx.commands.run`), so the same authorization, device routing and
 * audit trail apply as to an operator's command — no second path to the bus. Decisions run one batch at a time;
 * snapshots that arrive meanwhile are skipped (the next one sees the same plant).
 *
 * The probe only knows on/off. The "failed" state is the gateway's: a deriver writes 2 into `block.equalization` of a
 * failed block in every commit, after the poller's 0 and before the alarms deriver — so alarm 112 follows it. This
 * service must therefore be registered before the alarms service in `SERVICES`.
 */

/** The gateway acting on its own, as the audit trail shows it. */
const EQUALIZATION_PRINCIPAL: Principal = { user: "system", roles: ["admin"], source: "equalization", routine: true };

/** After a refused write, leave that block alone this long, so a silent probe does not eat the bus. */
const RETRY_AFTER_FAILURE_MS = 5000;

export const equalizationService: CoreService<EqualizationConfig> = {
  name: "equalization",
  async start(ctx) {
    const controller = new EqualizationController(ctx.store.topology, ctx.config);
    ctx.provide({ equalization: controller });
    if (!controller.anyEnabled) {
      ctx.health.set("stopped", "equalization disabled in config");
      return;
    }
    ctx.store.addDeriver((model) => {
      for (const row of controller.failedRows)
        if (model.quality("block.equalization", row) === Q_GOOD && model.read("block.equalization", row) !== 2)
          model.write("block.equalization", row, 2, Q_GOOD, Date.now());
    });

    const refusedUntil = new Map<number, number>();
    let pass: Promise<void> | undefined;
    let stopping = false;
    const run = async () => {
      const snapshot = ctx.store.snapshot();
      const now = Date.now();
      const actions = controller
        .evaluate(snapshot, now)
        .filter((a) => (refusedUntil.get(a.row) ?? 0) <= now && !stopping);
      let failedNow = false;
      for (const action of actions) {
        if (stopping) return;
        const result = await ctx.commands.run(EQUALIZATION_PRINCIPAL, {
          kind: "equalize",
          on: action.on,
          stringId: action.stringId,
          block: action.block,
        });
        const where = { string: action.stringId, block: action.block };
        if (!result.ok) {
          refusedUntil.set(action.row, Date.now() + RETRY_AFTER_FAILURE_MS);
          ctx.health.count("refused");
          ctx.log.warn(
            { ...where, error: result.error, code: result.code },
            `E_EQUALIZATION_WRITE: cannot switch the bypass ${action.on ? "on" : "off"}; check the probe`,
          );
          continue;
        }
        refusedUntil.delete(action.row);
        controller.applied(action, Date.now());
        ctx.health.count(action.on ? "started" : action.next === "failed" ? "failed" : "stopped");
        if (action.next === "failed") {
          failedNow = true;
          ctx.log.warn(where, `equalization failed: ${action.reason}`);
        } else ctx.log.debug(where, `bypass ${action.on ? "on" : "off"}: ${action.reason}`);
      }
      // The failed overlay must reach a snapshot even when no poll follows soon.
      if (failedNow)
        for (const row of controller.failedRows)
          if (ctx.store.quality("block.equalization", row) === Q_GOOD) {
            ctx.store.write("block.equalization", row, 2, Q_GOOD, Date.now());
            ctx.requestCommit();
          }
    };
    ctx.defer(
      ctx.bus.on("snapshot", () => {
        if (pass || stopping) return;
        pass = run()
          .catch((error) => ctx.log.error({ err: error }, "equalization pass failed; the next snapshot tries again"))
          .finally(() => {
            pass = undefined;
          });
      }),
    );
    // A bypass left on while the gateway is down would keep discharging its block unattended.
    ctx.beforeStop(async () => {
      stopping = true;
      await pass;
      for (const action of controller.switchOffAll("gateway stopping")) {
        const result = await ctx.commands.run(EQUALIZATION_PRINCIPAL, {
          kind: "equalize",
          on: false,
          stringId: action.stringId,
          block: action.block,
        });
        if (result.ok) controller.applied(action, Date.now());
        else
          ctx.log.warn(
            { string: action.stringId, block: action.block, error: result.error, code: result.code },
            "E_EQUALIZATION_WRITE: cannot switch the bypass off at stop; check the probe",
          );
      }
    });
    const enabled = controller.strings().filter((s) => s.enabled).length;
    ctx.health.set("ok", `equalizing ${enabled} string(s) in float`);
  },
};
