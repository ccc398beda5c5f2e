import assert from "node:assert/strict";
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
