import { after, before, describe, it } from "node:test";
import { allDevicesOk, smallPlantYaml, startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { EventWatch, runScenario, type Scenario } from "./helpers.js";

const ALARMS = `alarms:
  raiseDelay: 200ms
  clearDelay: 200ms
  thresholds:
    blockVoltage: { deadband: 0.2 }
  suppress: { afterResistanceMeasurement: { duration: 0 } }`;

const timing = { raiseDelay: 200, clearDelay: 200 };
const scenarios: Scenario[] = [
  {
    title: "block voltage high",
    eventId: 101,
    stringId: 1,
    block: 3,
    apply: [["set", "1/3", "voltage", "14.25"]],
    wobble: [
      ["set", "1/3", "voltage", "14.0"],
      ["set", "1/3", "voltage", "14.25"],
      ["set", "1/3", "voltage", "13.95"],
    ],
    restore: [["set", "1/3", "voltage", "auto"]],
    ...timing,
  },
];

describe("block voltage alarms on the simulator", () => {
  let gateway: TestGateway;
  let watch: EventWatch;
  before(async () => {
    gateway = await startTestGateway(smallPlantYaml({ extra: ALARMS }));
    watch = new EventWatch(gateway);
    await allDevicesOk(gateway);
  });
  after(async () => {
    watch.dispose();
    await gateway.close();
  });

  for (const s of scenarios)
    it(`raises and clears ${s.title} (${s.eventId}) after its delays, not again inside the deadband`, async () => {
      await runScenario(gateway, watch, s);
    });
});
