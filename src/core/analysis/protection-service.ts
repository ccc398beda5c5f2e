import type { Principal } from "../adapter.js";
import type { CoreService } from "../service.js";
import { ProtectionController } from "./protection.js";
import type { ProtectionConfig } from "./protection-config.js";

/**
 * The protection service: evaluates the controller on every committed snapshot, emits its events and switches the
 * relay outputs through the gateway's own `output` command (`ctx.commands.run`), so authorization, device routing
 * and the audit trail are the same as for an operator's override — no second path to the bus. One batch runs at a
 * time; snapshots that arrive meanwhile are skipped (the next one sees the same plant, and events are never lost
 * because the controller only changes state inside `evaluate`).
 *
 * While enabled the service owns the outputs: a relay found in another state than wanted (switched by hand, or a
 * module that restarted) is written back after `retryInterval`.
 */

/** The gateway acting on its own, as the audit trail shows it. */
const PROTECTION_PRINCIPAL: Principal = { user: "system", roles: ["admin"], source: "protection" };

export const protectionService: CoreService<ProtectionConfig> = {
  name: "protection",
  async start(ctx) {
    const controller = new ProtectionController(ctx.store.topology, ctx.config);
    ctx.provide({ protection: controller });
    if (!ctx.config.enabled) {
      ctx.health.set("stopped", "protection outputs disabled in config");
      return;
    }
    let busy = false;
    const run = async () => {
      const { events, writes } = controller.evaluate(ctx.store.snapshot(), Date.now());
      for (const record of events) {
        ctx.emit(record);
        ctx.health.count("transitions");
        ctx.log.info({ string: record.stringId, event: record.name }, record.text);
      }
      const failSafe = controller.strings().filter((s) => s.failSafe);
      ctx.health.set(
        failSafe.length > 0 ? "degraded" : "ok",
        failSafe.length > 0
          ? `fail-safe: ${failSafe.map((s) => `string ${s.stringId} (${s.failSafeCause})`).join(", ")}`
          : `${controller.size} string(s) protected`,
      );
      for (const write of writes) {
        if (ctx.signal.aborted) return;
        const result = await ctx.commands.run(PROTECTION_PRINCIPAL, {
          kind: "output",
          stringId: write.stringId,
          output: write.output,
          closed: write.closed,
        });
        controller.written(write, result.ok, Date.now());
        if (!result.ok) {
          ctx.health.count("refused");
          ctx.log.warn(
            { string: write.stringId, output: write.output, error: result.error, code: result.code },
            `E_PROTECTION_WRITE: cannot ${write.closed ? "close" : "open"} the ${write.output} output; check the relay module (retrying every ${ctx.config.retryInterval} ms)`,
          );
        }
      }
    };
    ctx.defer(
      ctx.bus.on("snapshot", () => {
        if (busy || ctx.signal.aborted) return;
        busy = true;
        run()
          .catch((error) => ctx.log.error({ err: error }, "protection pass failed; the next snapshot tries again"))
          .finally(() => {
            busy = false;
          });
      }),
    );
    ctx.health.set("ok", `${controller.size} string(s) protected`);
  },
};
