import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { authorize } from "../../src/auth/authorize.js";
import type { AuthService } from "../../src/core/adapter.js";
import { smallPlantYaml, type TestGateway } from "../helpers/gateway.js";

/** The real authorization table without the local user store (no files, no first-start password). */
export const testAuth: AuthService = {
  authenticate: async () => ({ ok: false, reason: "invalid-credentials" }),
  authorize,
};

export function modbusYaml(extra = ""): string {
  return smallPlantYaml({
    strings: 2,
    blocks: 8,
    extra: `protocols: { modbus: { enabled: true, host: 127.0.0.1, port: 0${extra} } }`,
  });
}

export function modbusPort(gateway: TestGateway): number {
  const url = gateway.listeners().find((l) => l.startsWith("modbus-tcp://"));
  assert.ok(url, "the gateway announces its Modbus TCP listener");
  return Number(url.slice(url.lastIndexOf(":") + 1));
}

/** Runs mbpoll once (-1) and returns its stdout; an mbpoll failure is returned as text, not thrown. */
export async function mbpoll(args: string[]): Promise<string> {
  try {
    return (await promisify(execFile)("mbpoll", [...args, "-1", "-o", "2"], { timeout: 10_000 })).stdout;
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string };
    return `${e.stdout ?? ""}${e.stderr ?? ""}`;
  }
}

/** mbpoll's `[ref]: value` lines by reference. */
export function mbpollValues(text: string): Map<number, number> {
  const values = new Map<number, number>();
  for (const m of text.matchAll(/^\[(\d+)\]:\s+(-?\d+)/gm)) values.set(Number(m[1]), Number(m[2]));
  return values;
}
