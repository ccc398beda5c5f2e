import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { allDevicesOk, sim, startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { analysisOf, analysisPlantYaml, eventually } from "./helpers.js";

describe("a string without a current sensor", () => {
  let gateway: TestGateway;
  before(async () => {
    gateway = await startTestGateway(
      analysisPlantYaml({
        timeScale: 360,
        currentSensor: false,
        extra: "analysis:\n  resistance: { interval: 0 }\n  discharge: { endHold: 20s }",
      }),
    );
    await allDevicesOk(gateway);
  });
  after(async () => {
    await gateway?.close();
  });

  it("estimates SOC from the voltage tables and records a discharge detected by voltage, without Ah", async () => {
    const api = analysisOf(gateway);
    await eventually("float at 100 %", () => {
      const s = api.strings()[0];
      return s?.chargeState === "float" && s.soc === 100 ? s : undefined;
    });
    assert.equal(api.strings()[0]?.socMethod, "voltage");
    await sim(gateway, "discharge", "1", "50");
    // Detection and the voltage-based SOC may land in different commits: wait for both.
    const early = await eventually("discharge detected by voltage, SOC below 100 % from the voltage under load", () => {
      const s = api.strings()[0];
      return s?.chargeState === "discharge" && s.discharge?.detectedBy === "voltage" && s.soc < 100 ? s : undefined;
    });
    assert.ok(Number.isNaN(early.runtimeSeconds), "no runtime estimate without current");
    // Two plant hours at 50 A take 100 Ah off: the voltage, and with it the SOC, keeps falling.
    await eventually("SOC falls as the string empties", () => {
      const soc = api.strings()[0]?.soc ?? 100;
      return soc < early.soc - 20 ? true : undefined;
    });
    assert.ok(gateway.model.current().value("block.soc", 0) < early.soc, "block SOC follows its own voltage");
    await sim(gateway, "float", "1");
    const [record] = await eventually("discharge recorded", () => {
      const list = api.discharges();
      return list[0]?.end !== undefined ? list : undefined;
    });
    assert.equal(record?.detectedBy, "voltage");
    assert.ok(record && Number.isNaN(record.ampereHours) && record.durationSeconds > 60);
  });
});
