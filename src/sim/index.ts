import type { Logger } from "pino";
import type { BusConfig } from "../core/config/core-schema.js";
import type { PlantTopology } from "../core/topology.js";
import type { SimulatorConfig } from "./config-schema.js";
import { SimControl } from "./control.js";
import { SimDevice } from "./devices.js";
import { SimBusEndpoint } from "./endpoint.js";
import { SimPlant } from "./physics.js";

export { SimControl, SimControlError } from "./control.js";

/** Where the simulator answers for one bus. */
export type SimAttachment =
  | { bus: string; kind: "tcp"; host: string; port: number }
  | { bus: string; kind: "serial"; path: string };

export interface Simulator {
  readonly plant: SimPlant;
  readonly control: SimControl;
  readonly endpoints: ReadonlyMap<string, SimBusEndpoint>;
  readonly attachments: readonly SimAttachment[];
  stop(): Promise<void>;
}

export interface SimulatorOptions {
  readonly topology: PlantTopology;
  readonly buses: readonly BusConfig[];
  readonly config: SimulatorConfig;
  readonly log: Logger;
  /**
   * How each bus is exposed. In-process (the demo) every bus gets a loopback TCP port; standalone, rtu-tcp buses
   * listen on their configured host/port and serial buses open their configured device.
   */
  readonly exposure: "loopback" | "as-configured";
}

/** Starts the simulated plant and one RTU endpoint per bus. */
export async function startSimulator(options: SimulatorOptions): Promise<Simulator> {
  const { topology, config, log } = options;
  const plant = new SimPlant(topology, config);
  const devices = topology.devices.map((info) => new SimDevice(info, plant));
  const control = new SimControl(plant, devices);
  const endpoints = new Map<string, SimBusEndpoint>();
  const attachments: SimAttachment[] = [];
  const timers: NodeJS.Timeout[] = [];
  const stop = async () => {
    for (const t of timers) clearTimeout(t);
    await Promise.all([...endpoints.values()].map((e) => e.close()));
  };
  try {
    for (const bus of options.buses) {
      const onBus = new Map<number, SimDevice>();
      for (const d of devices) if (d.info.bus === bus.id) onBus.set(d.info.address, d);
      const endpoint = new SimBusEndpoint(bus.id, onBus, { baudRate: bus.transport.baudRate, pacing: config.pacing });
      endpoints.set(bus.id, endpoint);
      const t = bus.transport;
      if (options.exposure === "loopback" || t.type === "simulated") {
        const port = await endpoint.listenTcp("127.0.0.1", 0);
        attachments.push({ bus: bus.id, kind: "tcp", host: "127.0.0.1", port });
      } else if (t.type === "rtu-tcp") {
        const port = await endpoint.listenTcp(t.host, t.port);
        attachments.push({ bus: bus.id, kind: "tcp", host: t.host, port });
      } else {
        await endpoint.openSerial(t.path, t.baudRate);
        attachments.push({ bus: bus.id, kind: "serial", path: t.path });
      }
    }
  } catch (error) {
    await stop();
    throw error;
  }
  const started = Date.now();
  for (const step of config.scenario) {
    const timer = setTimeout(
      () => {
        try {
          log.info({ step }, `scenario at ${step.at / 1000}s: ${control.step(step)}`);
        } catch (error) {
          log.error({ err: error, step }, "scenario step failed");
        }
      },
      Math.max(0, started + step.at / config.timeScale - Date.now()),
    );
    timer.unref();
    timers.push(timer);
  }
  return { plant, control, endpoints, attachments, stop };
}
