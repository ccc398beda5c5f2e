import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { pino } from "pino";
import { type Gateway, startGateway } from "../../src/app/gateway.js";
import { allDevicesOk, sim, startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { analysisOf, analysisPlantYaml, eventually, simStatus } from "./helpers.js";

// 360×: a wall second is six plant minutes, so a C/1 discharge of 80 Ah takes about 8 wall seconds.
const YAML = analysisPlantYaml({
  timeScale: 360,
  pollInterval: "20ms",
  extra: `analysis:
  resistance: { interval: 0 }
  discharge: { runtimeSmoothing: 30s, curveInterval: 30s }
alarms:
  raiseDelay: 100ms
  clearDelay: 100ms`,
});

const relative = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe("discharge records, runtime estimate and SOC over a full discharge/recharge cycle", () => {
  let gateway: TestGateway;
  before(async () => {
    gateway = await startTestGateway(YAML);
    await allDevicesOk(gateway);
  });
  after(async () => {
    await gateway?.close();
  });

  it("starts in float at 100 % SOC by coulomb counting", async () => {
    const api = analysisOf(gateway);
    const [s] = await eventually("string in float", () => {
      const list = api.strings();
      return list[0]?.chargeState === "float" ? list : undefined;
    });
    assert.equal(s?.socMethod, "coulomb");
    assert.equal(s?.soc, 100);
    assert.equal(gateway.model.current().value("string.soc", 0), 100);
  });

  it("detects the discharge, converges the runtime estimate, raises SOC low, records the Ah, and tracks SOC through the recharge", async (t) => {
    const api = analysisOf(gateway);
    await sim(gateway, "discharge", "1", "50");
    const started = await eventually("discharge detected", () => api.strings()[0]?.discharge);
    assert.equal(started.detectedBy, "current");
    assert.equal(api.strings()[0]?.chargeState, "discharge");

    // Runtime: the estimate must agree with the simulator's remaining charge over the present current.
    const runtimeError = (amps: number) => {
      const s = api.strings()[0];
      const truth = (simStatus(gateway).chargeAh / amps) * 3600;
      return s ? relative(s.runtimeSeconds, truth) : Number.POSITIVE_INFINITY;
    };
    await eventually("runtime estimate at 50 A within 3 %", () => (runtimeError(50) < 0.03 ? true : undefined));
    await sim(gateway, "discharge", "1", "100");
    // After the step the smoothed current lags; the estimate converges on the new truth and stays there.
    await eventually("runtime estimate at 100 A within 3 %", () => (runtimeError(100) < 0.03 ? true : undefined));
    await new Promise((r) => setTimeout(r, 300));
    const settled = runtimeError(100);
    assert.ok(settled < 0.03, `still converged: error ${settled}`);
    t.diagnostic(`runtime estimate error after the 50 → 100 A step: ${(settled * 100).toFixed(2)} %`);

    // SOC low (204) is raised from the analysis' SOC once it falls below 50 %.
    const low = await gateway.waitFor((s) => s.alarms.some((a) => a.eventId === 204 && a.stringId === 1), 15_000);
    assert.ok(low.value("string.soc", 0) < 50);

    await eventually("simulator down to 20 % SOC", () => (simStatus(gateway).soc <= 20 ? true : undefined));
    await sim(gateway, "charge", "1", "200");
    const truthAtEnd = simStatus(gateway);
    const socAtEnd = gateway.model.current().value("string.soc", 0);
    assert.ok(
      Math.abs(socAtEnd - truthAtEnd.soc) <= 5,
      `SOC ${socAtEnd} % vs simulator ${truthAtEnd.soc} % at the end of the discharge`,
    );

    const [record] = await eventually("discharge recorded", () => {
      const list = api.discharges({ stringId: 1 });
      return list[0]?.end !== undefined ? list : undefined;
    });
    assert.ok(record);
    assert.ok(
      relative(record.ampereHours, truthAtEnd.dischargedAh) <= 0.02,
      `recorded ${record.ampereHours} Ah vs simulator ${truthAtEnd.dischargedAh} Ah`,
    );
    t.diagnostic(
      `discharge: ${record.ampereHours.toFixed(3)} Ah recorded vs ${truthAtEnd.dischargedAh} Ah simulated; ` +
        `SOC ${socAtEnd} % vs ${truthAtEnd.soc} %`,
    );
    assert.ok(record.wattHours > record.ampereHours * 60, "Wh at about 6 × 12 V");
    assert.equal(record.peakCurrent >= 99 && record.peakCurrent <= 101, true, `peak ${record.peakCurrent}`);
    assert.ok(record.socStart >= 99 && Math.abs(record.socEnd - truthAtEnd.soc) <= 5);
    assert.ok(record.weakestBlock >= 1 && record.weakestBlock <= 6);
    assert.equal(record.reachedEndVoltage, false, "stopped at 20 %, above the end voltage");
    assert.ok(Number.isNaN(record.capacityAh), "a partial discharge implies no capacity");
    const full = api.discharge(record.id);
    assert.ok(full && full.curve.length >= 5, `curve of ${full?.curve.length} points`);
    assert.ok(full.curve.every((p) => p.minBlockVoltage <= p.maxBlockVoltage));

    // The charger brings the string back to full and the simulator floats: SOC within 5 % of the ground truth.
    await eventually("simulator back in float", () => (simStatus(gateway).mode === "float" ? true : undefined), 20_000);
    const charged = await gateway.waitFor((s) => s.value("string.chargeState", 0) === 1, 5000);
    const truth = simStatus(gateway);
    assert.ok(
      Math.abs(charged.value("string.soc", 0) - truth.soc) <= 5,
      `SOC ${charged.value("string.soc", 0)} % vs simulator ${truth.soc} % after the recharge`,
    );
    t.diagnostic(`after recharge: SOC ${charged.value("string.soc", 0)} % vs ${truth.soc} %`);
    await gateway.waitFor((s) => !s.alarms.some((a) => a.eventId === 204), 5000);
  });
});

describe("capacity from a complete discharge", () => {
  let gateway: TestGateway;
  let restarted: Gateway | undefined;
  before(async () => {
    gateway = await startTestGateway(
      analysisPlantYaml({ timeScale: 360, pollInterval: "20ms", extra: "analysis:\n  resistance: { interval: 0 }" }),
    );
    await allDevicesOk(gateway);
  });
  after(async () => {
    await restarted?.stop();
    await gateway?.close();
  });

  it("measures a faded string's capacity from a discharge that reaches the end voltage and lowers its SOH", async (t) => {
    const api = analysisOf(gateway);
    await eventually("float at 100 %", () => (api.strings()[0]?.soc === 100 ? true : undefined));
    await sim(gateway, "set", "1", "capacity", "80");
    await sim(gateway, "discharge", "1", "200");
    await eventually("end voltage reached", () => (api.strings()[0]?.discharge?.reachedEndVoltage ? true : undefined));
    await sim(gateway, "rest", "1");
    const [record] = await eventually("discharge recorded", () => {
      const list = api.discharges({ stringId: 1 });
      return list[0]?.end !== undefined ? list : undefined;
    });
    assert.ok(record?.reachedEndVoltage);
    assert.ok(
      relative(record.capacityAh, 80) <= 0.02,
      `capacity ${record.capacityAh} Ah vs 80 Ah (SOC at start ${record.socStart} %)`,
    );
    const s = api.strings()[0];
    assert.ok(s && relative(s.capacityAh, 80) <= 0.02);
    // Nominal 100 Ah: SOH in % equals the measured Ah.
    await gateway.waitFor((snap) => Math.abs(snap.value("string.soh", 0) - record.capacityAh) < 0.2, 5000);
    t.diagnostic(`capacity ${record.capacityAh.toFixed(2)} Ah measured vs 80 Ah simulated`);
  });

  it("keeps the discharge records and the measured capacity across a restart", async () => {
    const before = analysisOf(gateway).discharges();
    assert.equal(before.length, 1);
    const id = before[0]?.id ?? 0;
    const curve = analysisOf(gateway).discharge(id)?.curve;
    await gateway.stop();
    restarted = await startGateway({ config: gateway.config, log: pino({ level: "silent" }), controlSocket: false });
    const api = analysisOf(restarted);
    assert.deepEqual(api.discharges(), before);
    assert.deepEqual(api.discharge(id)?.curve, curve);
    assert.equal(api.strings()[0]?.capacityAh, before[0]?.capacityAh);
  });
});
