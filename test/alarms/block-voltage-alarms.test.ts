import { after, before, describe, it } from "node:test";
import { allDevicesOk, smallPlantYaml, startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { EventWatch, noAlarms, runScenario, type Scenario } from "./helpers.js";

// 12 V VRLA defaults: voltage warning 13.08..14.1 V, alarm 10.8..14.4 V; temperature 5..35 °C, alarm 45 °C.
const ALARMS = `alarms:
  raiseDelay: 200ms
  clearDelay: 200ms
  thresholds:
    blockVoltage: { deadband: 0.2 }
  suppress: { afterResistanceMeasurement: { duration: 0 } }`;

const timing = { raiseDelay: 200, clearDelay: 200 };
const at = (block: string, point: string, ...values: string[]) => values.map((v) => ["set", block, point, v]);

const scenarios: Scenario[] = [
  {
    title: "block voltage high",
    eventId: 101,
    stringId: 1,
    block: 3,
    apply: at("1/3", "voltage", "14.25"),
    wobble: at("1/3", "voltage", "14.0", "14.25", "13.95"),
    restore: at("1/3", "voltage", "auto"),
    ...timing,
  },
  {
    title: "block voltage high alarm",
    eventId: 103,
    stringId: 1,
    block: 3,
    apply: at("1/3", "voltage", "14.7"),
    wobble: at("1/3", "voltage", "14.3", "14.6", "14.25"),
    restore: at("1/3", "voltage", "auto"),
    ...timing,
  },
  {
    title: "block voltage low",
    eventId: 102,
    stringId: 1,
    block: 4,
    apply: at("1/4", "voltage", "12.9"),
    wobble: at("1/4", "voltage", "13.2", "12.9", "13.25"),
    restore: at("1/4", "voltage", "auto"),
    ...timing,
  },
  {
    title: "block voltage low alarm",
    eventId: 104,
    stringId: 1,
    block: 4,
    apply: at("1/4", "voltage", "10.5"),
    wobble: at("1/4", "voltage", "10.9", "10.6", "10.95"),
    restore: at("1/4", "voltage", "auto"),
    ...timing,
  },
  {
    title: "block temperature high",
    eventId: 105,
    stringId: 2,
    block: 5,
    apply: at("2/5", "temperature", "38"),
    wobble: at("2/5", "temperature", "34.5", "37", "34.2"),
    restore: at("2/5", "temperature", "auto"),
    ...timing,
  },
  {
    title: "block temperature high alarm",
    eventId: 106,
    stringId: 2,
    block: 5,
    apply: at("2/5", "temperature", "48"),
    wobble: at("2/5", "temperature", "44.5", "47", "44.3"),
    restore: at("2/5", "temperature", "auto"),
    ...timing,
  },
  {
    title: "block temperature low",
    eventId: 107,
    stringId: 2,
    block: 6,
    apply: at("2/6", "temperature", "2"),
    wobble: at("2/6", "temperature", "5.5", "3", "5.8"),
    restore: at("2/6", "temperature", "auto"),
    ...timing,
  },
  {
    title: "block-to-ambient difference",
    eventId: 108,
    stringId: 2,
    block: 7,
    apply: at("2/7", "temperature", "30"),
    wobble: at("2/7", "temperature", "27.6", "29", "27.5"),
    restore: at("2/7", "temperature", "auto"),
    ...timing,
  },
];

describe("block voltage and temperature alarms on the simulator", () => {
  let gateway: TestGateway;
  let watch: EventWatch;
  before(async () => {
    gateway = await startTestGateway(smallPlantYaml({ extra: ALARMS }));
    watch = new EventWatch(gateway);
    await allDevicesOk(gateway);
    await noAlarms(gateway);
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
