import type { Gateway } from "../../src/app/gateway.js";
import type { BatteryAnalysis } from "../../src/core/analysis/types.js";

/** One string of 12 V VRLA blocks (100 Ah) on one fast bus, the simulator running `timeScale` times real time. */
export function analysisPlantYaml(options: {
  blocks?: number;
  timeScale: number;
  pollInterval?: string;
  /** Without the string sensor there is no current: voltage-based SOC and discharge detection. */
  currentSensor?: boolean;
  extra?: string;
}): string {
  return `site: { name: Analysis test, location: Lab, contact: test@example.com }
buses:
  - id: bus1
    transport: { type: simulated, baudRate: 115200 }
    timing: { timeout: 100ms, retries: 1, pollInterval: ${options.pollInterval ?? "50ms"}, commLossAfter: 3 }
strings:
  - id: 1
    bus: bus1
    blocks: ${options.blocks ?? 6}
    capacityAh: 100
    probes: { profile: cell-probe, address: 1 }
    ${options.currentSensor === false ? "" : "stringSensor: { address: 201 }"}
simulator: { enabled: true, seed: 11, timeScale: ${options.timeScale} }
${options.extra ?? ""}
`;
}

export function analysisOf(gateway: Gateway): BatteryAnalysis {
  const api = gateway.services.analysis;
  if (!api) throw new Error("the analysis service is not running");
  return api;
}

/** Ground truth of string `id` from the simulator. */
export interface SimStringStatus {
  mode: string;
  current: number;
  soc: number;
  chargeAh: number;
  capacityAh: number;
  dischargedAh: number;
}

export function simStatus(gateway: Gateway, stringId = 1): SimStringStatus {
  const sim = gateway.simulator;
  if (!sim) throw new Error("no simulator");
  const list = JSON.parse(sim.control.execute(["status", String(stringId)])) as SimStringStatus[];
  const s = list[0];
  if (!s) throw new Error(`no string ${stringId} in the simulator`);
  return s;
}

/** Polls `check` every 20 ms until it returns a value (not undefined); fails with `what` after `timeoutMs`. */
export async function eventually<T>(what: string, check: () => T | undefined, timeoutMs = 15_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
