import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type GatewayConfig, gatewayConfigSchema } from "../app/config-schema.js";
import { formatConfigErrors, loadConfigFile } from "../core/config/load.js";

/** The package root (two levels above dist/src/cli or src/cli). */
export const PACKAGE_ROOT = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(resolve(dir, "package.json")) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
})();

/** The config file to use: the one given, else config/demo.yaml of the package. */
export function configPath(given: string | undefined): string {
  return given ? resolve(given) : resolve(PACKAGE_ROOT, "config/demo.yaml");
}

/** Loads and validates the config, or prints every error with its path and line and returns undefined. */
export function loadConfigOrReport(file: string): GatewayConfig | undefined {
  const result = loadConfigFile(gatewayConfigSchema, file);
  if (result.ok) return result.config;
  process.stderr.write(`Configuration rejected (E_CONFIG):\n${formatConfigErrors(file, result.errors)}\n`);
  return undefined;
}
