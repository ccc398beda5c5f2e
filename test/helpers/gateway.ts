import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { type GatewayConfig, gatewayConfigSchema } from "../../src/app/config-schema.js";
import { type Gateway, type GatewayOptions, startGateway } from "../../src/app/gateway.js";
import type { Principal } from "../../src/core/adapter.js";
import { formatConfigErrors, parseConfig } from "../../src/core/config/load.js";
import type { PlantSnapshot } from "../../src/core/model.js";
import { blockRow } from "../../src/core/topology.js";

/** A small simulated plant: `strings` strings of `blocks` 12 V cell probes, one bus each, fast polling. */
export function smallPlantYaml(options: { strings?: number; blocks?: number; extra?: string } = {}): string {
  const strings = options.strings ?? 2;
  const blocks = options.blocks ?? 8;
  const lines = ["site: { name: Test plant, location: Lab, contact: test@example.com }", "buses:"];
  for (let i = 1; i <= strings; i++)
    lines.push(
      `  - id: bus${i}`,
      "    transport: { type: simulated, baudRate: 115200 }",
      "    timing: { timeout: 100ms, retries: 1, pollInterval: 100ms, commLossAfter: 2 }",
    );
  lines.push("strings:");
  for (let i = 1; i <= strings; i++)
    lines.push(
      `  - id: ${i}`,
      `    bus: bus${i}`,
      `    blocks: ${blocks}`,
      "    probes: { profile: cell-probe, address: 1 }",
      "    stringSensor: { address: 201 }",
      "    relay: { address: 220 }",
    );
  lines.push("environment: { bus: bus1, address: 210 }", "simulator: { enabled: true, seed: 7 }");
  if (options.extra) lines.push(options.extra);
  return `${lines.join("\n")}\n`;
}

export function parseTestConfig(yaml: string): GatewayConfig {
  const result = parseConfig(gatewayConfigSchema, yaml);
  if (!result.ok) throw new Error(formatConfigErrors("test.yaml", result.errors));
  return result.config;
}

export interface TestGateway extends Gateway {
  /** Stops the gateway and removes its storage folder. */
  close(): Promise<void>;
}

/** Starts a real gateway on the simulator with storage in a fresh temporary folder; call close() in `after`. */
export async function startTestGateway(
  yaml: string = smallPlantYaml(),
  options: Omit<GatewayOptions, "config"> = {},
): Promise<TestGateway> {
  const config = parseTestConfig(yaml);
  const storage = mkdtempSync(join(tmpdir(), "bmsgw-test-"));
  config.storage.path = storage;
  const log = options.log ?? pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });
  const gateway = await startGateway({ ...options, config, log });
  return {
    ...gateway,
    async close() {
      await gateway.stop();
      rmSync(storage, { recursive: true, force: true });
    },
  };
}

/** Waits until every configured device answers. */
export function allDevicesOk(gateway: Gateway, timeoutMs = 10_000) {
  return gateway.waitFor((s) => s.devices.length > 0 && s.devices.every((d) => d.comm === "ok"), timeoutMs);
}

export const TEST_ADMIN: Principal = { user: "test-admin", roles: ["admin"], source: "test" };

/** Row of block `block` of string `stringId` in the block tables; throws when out of range. */
export function rowOf(gateway: Gateway, stringId: number, block: number): number {
  const row = blockRow(gateway.topology, stringId, block);
  if (row === undefined) throw new Error(`no block ${stringId}/${block}`);
  return row;
}

/** Runs a simulator command (`bmsgw sim …` words) and fails when it is refused. */
export async function sim(gateway: Gateway, ...args: string[]): Promise<string> {
  const result = await gateway.commands.run(TEST_ADMIN, { kind: "sim", args });
  if (!result.ok) throw new Error(`sim ${args.join(" ")}: ${result.error}`);
  return result.message;
}

/**
 * Resolves once every bus has finished `n` more sweeps (counted by the poller, not by snapshots: the model commits
 * after each device read, so snapshot versions say nothing about how often the plant was read).
 */
export async function afterSweeps(gateway: Gateway, n = 1): Promise<PlantSnapshot> {
  const count = () => gateway.health().find((h) => h.component === "poller")?.counters.sweeps ?? 0;
  const target = count() + n * gateway.config.buses.length;
  const deadline = Date.now() + 30_000;
  while (count() < target) {
    if (Date.now() > deadline) throw new Error(`fewer than ${n} sweeps per bus within 30 s`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return gateway.model.current();
}
