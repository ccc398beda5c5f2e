import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { pino } from "pino";
import { type Gateway, startGateway } from "../../src/app/gateway.js";
import { allDevicesOk, parseTestConfig, sim, smallPlantYaml } from "../helpers/gateway.js";

const ALARMS = "alarms: { raiseDelay: 0, clearDelay: 0, suppress: { afterResistanceMeasurement: { duration: 0 } } }";

describe("alarm ids across a restart", () => {
  const storage = mkdtempSync(join(tmpdir(), "bmsgw-alarm-ids-"));
  const start = async (): Promise<Gateway> => {
    const config = parseTestConfig(smallPlantYaml({ strings: 1, blocks: 2, extra: ALARMS }));
    config.storage.path = storage;
    const gateway = await startGateway({ config, log: pino({ level: "silent" }), controlSocket: false });
    await allDevicesOk(gateway);
    return gateway;
  };
  after(() => rmSync(storage, { recursive: true, force: true }));

  it("continues after the last id in the event log instead of starting again at 1", async () => {
    const first = await start();
    let firstId: number;
    try {
      await sim(first, "set", "1/1", "voltage", "14.3");
      const raised = await first.waitFor((s) => s.alarms.some((a) => a.eventId === 101), 5000);
      firstId = raised.alarms.find((a) => a.eventId === 101)?.id ?? 0;
      await first.services.eventLog?.flush();
    } finally {
      await first.stop();
    }
    const second = await start();
    try {
      await sim(second, "set", "1/2", "voltage", "14.3");
      const raised = await second.waitFor((s) => s.alarms.some((a) => a.eventId === 101 && a.block === 2), 5000);
      const secondId = raised.alarms.find((a) => a.eventId === 101 && a.block === 2)?.id ?? 0;
      assert.ok(secondId > firstId, `id ${secondId} after a restart, ${firstId} before`);
    } finally {
      await second.stop();
    }
  });
});
