import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { pino } from "pino";
import { buildTopology } from "../../src/core/topology.js";
import { type Simulator, startSimulator } from "../../src/sim/index.js";
import { allDevicesOk, parseTestConfig, rowOf, startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { type PtyPair, ptyPair } from "../helpers/socat.js";

const run = promisify(execFile);

function serialPlant(path: string): string {
  return `
buses:
  - id: usb0
    transport: { type: serial, path: ${path}, baudRate: 19200 }
    timing: { timeout: 200ms, retries: 1, pollInterval: 100ms }
strings:
  - { id: 1, bus: usb0, blocks: 4, nominalBlockVoltage: 2, capacityAh: 800, probes: { profile: cell-probe, address: 1 }, stringSensor: { address: 100 } }
simulator: { enabled: false, seed: 3 }
`;
}

describe("Modbus RTU over a serial line (socat pty pair)", () => {
  let pty: PtyPair;
  let simulator: Simulator;
  before(async () => {
    pty = await ptyPair();
    // The simulator answers on one end as the probes would on a real RS485 line.
    const config = parseTestConfig(serialPlant(pty.a));
    simulator = await startSimulator({
      topology: buildTopology(config),
      buses: config.buses,
      config: { ...config.simulator, enabled: true },
      log: pino({ level: "silent" }),
      exposure: "as-configured",
    });
    simulator.control.execute(["set", "1/2", "voltage", "2.187"]);
  });
  after(async () => {
    await simulator.stop();
    await pty.close();
  });

  it("lets mbpoll, an independent RTU master, read a probe's registers as its profile describes", async () => {
    const { stdout } = await run("mbpoll", [
      "-m",
      "rtu",
      "-b",
      "19200",
      "-P",
      "none",
      "-a",
      "2",
      "-0",
      "-1",
      "-r",
      "16",
      "-c",
      "7",
      "-t",
      "4",
      "-o",
      "1",
      pty.b,
    ]);
    const registers = new Map([...stdout.matchAll(/\[(\d+)\]:\s+(-?\d+)/g)].map((m) => [Number(m[1]), Number(m[2])]));
    assert.equal(registers.get(17), 2187, "block voltage in mV at register 17");
    const temperature = registers.get(18) ?? -1;
    assert.ok(temperature > 200 && temperature < 300, `temperature in 0.1 °C at register 18, got ${temperature}`);
    assert.equal(registers.get(21), 0, "equalizer off");
  });

  it("lets mbpoll read the identity block that discovery relies on", async () => {
    const { stdout } = await run("mbpoll", [
      "-m",
      "rtu",
      "-b",
      "19200",
      "-P",
      "none",
      "-a",
      "100",
      "-0",
      "-1",
      "-r",
      "0",
      "-c",
      "4",
      "-t",
      "4:hex",
      "-o",
      "1",
      pty.b,
    ]);
    assert.match(stdout, /\[0\]:\s+0x0301/, "string-sensor type code");
  });

  describe("the gateway's poller on the other end", () => {
    let gateway: TestGateway;
    before(async () => {
      gateway = await startTestGateway(serialPlant(pty.b));
    });
    after(() => gateway.close());

    it("polls every probe through the serial device", async () => {
      const snap = await allDevicesOk(gateway);
      const fresh = await gateway.waitFor((s) => s.version > snap.version);
      assert.ok(Math.abs(fresh.value("block.voltage", rowOf(gateway, 1, 2)) - 2.187) < 1e-9);
      for (let b = 1; b <= 4; b++) assert.equal(fresh.sample("block.voltage", rowOf(gateway, 1, b)).quality, "good");
      assert.equal(fresh.sample("string.voltage", 0).quality, "good");
    });
  });
});
