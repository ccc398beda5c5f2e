import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { BENCH_DEFAULTS, formatReport, type PlantReport, PlantRun } from "../../bench/plant/plant.js";

/**
 * The whole plant in small: 480 blocks (4 string masters on 4 paced buses) with every protocol on and every load
 * in its own process, as bench/plant runs it at 10,000 blocks. Correctness only; the timing is printed.
 */
describe("a 480-block plant with every protocol busy at once", () => {
  const run = new PlantRun({
    ...BENCH_DEFAULTS,
    blocks: 480,
    durationMs: 45_000,
    warmupMs: 5000,
    alarmEveryMs: 700,
    modbusIntervalMs: 2000,
    snmpIntervalMs: 10_000,
    log: () => {},
  });
  let report: PlantReport;

  before(async () => {
    report = await run.run();
    console.log(formatReport(report));
  });
  // Stops the gateway, every client process, snmptrapd and rsyslogd by PID, also when run() failed half-way.
  after(() => run.cleanup());

  it("raises enough alarms to mean something", () => {
    assert.ok(report.alarms >= 20, `${report.alarms} alarms`);
  });

  it("delivers every alarm raise and clear to every destination exactly once", () => {
    const expected = ["snmp-trap", "syslog", "modbus", "bacnet", "web"].filter(
      (d) => d !== "web" || report.unavailable.every((u) => !u.startsWith("web")),
    );
    assert.deepEqual(report.destinations.map((d) => d.destination).sort(), [...expected].sort());
    for (const d of report.destinations) {
      assert.equal(d.missing, 0, `${d.destination}: alarm × observer deliveries missing`);
      assert.equal(d.duplicates, 0, `${d.destination}: duplicate deliveries`);
      assert.equal(d.unexpected, 0, `${d.destination}: deliveries of alarms the scenario never raised`);
      assert.equal(d.raiseLatency.samples, report.alarms * d.observers, d.destination);
    }
  });

  it("answers every request of every client without an error", () => {
    for (const p of report.protocols) {
      assert.equal(p.errors, 0, `${p.protocol}: ${p.errorSamples.join(" | ")}`);
      assert.ok(p.totalRequests > 0, `${p.protocol} made requests`);
    }
    const bacnet = report.protocols.find((p) => p.protocol === "bacnet");
    assert.ok((bacnet?.extra.notifications ?? 0) > 0, "COV notifications arrived");
  });

  it("loses no event on the way to syslog and keeps every poll answered", () => {
    const syslog = report.health.find((h) => h.component === "syslog");
    const eventLog = report.health.find((h) => h.component === "event-log");
    assert.ok(syslog && eventLog, "syslog and event-log health");
    assert.equal(syslog.counters.messages, eventLog.counters.events, "every logged event was sent to syslog");
    assert.equal(syslog.counters.dropped ?? 0, 0);
    for (const s of report.sweeps) assert.equal(s.failedDevices, 0, `${s.bus} devices answering`);
  });
});
