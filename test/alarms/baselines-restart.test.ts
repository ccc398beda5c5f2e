import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { pino } from "pino";
import { type Gateway, startGateway } from "../../src/app/gateway.js";
import { allDevicesOk, parseTestConfig, smallPlantYaml } from "../helpers/gateway.js";

const ALARMS = "alarms: { raiseDelay: 0, clearDelay: 0, suppress: { afterResistanceMeasurement: { duration: 0 } } }";

describe("resistance baselines across a restart", () => {
  const storage = mkdtempSync(join(tmpdir(), "bmsgw-baselines-"));
  const start = async (simulator?: string): Promise<Gateway> => {
    let yaml = smallPlantYaml({ strings: 1, blocks: 2, extra: ALARMS });
    if (simulator) yaml = yaml.replace(/^simulator: .*$/m, simulator);
    const config = parseTestConfig(yaml);
    config.storage.path = storage;
    const gateway = await startGateway({ config, log: pino({ level: "silent" }), controlSocket: false });
    await allDevicesOk(gateway);
    return gateway;
  };
  after(() => rmSync(storage, { recursive: true, force: true }));

  it("judges a block against the baseline learned before the restart, not its first reading after it", async () => {
    const first = await start();
    await first.stop();
    const file = join(storage, "resistance-baselines.json");
    assert.ok(existsSync(file), "baselines were saved");
    const saved = JSON.parse(readFileSync(file, "utf8")) as Record<string, number>;
    assert.ok((saved["1/1"] ?? 0) > 0, "block 1/1 has a baseline");
    // The block comes back 35 % above its old baseline from the very first reading: only a reloaded baseline sees it.
    const second = await start(
      "simulator: { enabled: true, seed: 7, scenario: [{ at: 0s, action: set, target: 1/1, point: resistance, value: +35% }] }",
    );
    try {
      const snapshot = await second.waitFor((s) => s.alarms.some((a) => a.eventId === 110 && a.block === 1), 5000);
      const alarm = snapshot.alarms.find((a) => a.eventId === 110 && a.block === 1);
      assert.ok((alarm?.value ?? 0) > 30, `${alarm?.value} % above the baseline`);
    } finally {
      await second.stop();
    }
  });
});
