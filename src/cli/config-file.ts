import { resolve } from "node:path";
import { type GatewayConfig, gatewayConfigSchema } from "../app/config-schema.js";
import { formatConfigErrors, loadConfigFile } from "../core/config/load.js";
import { PACKAGE_ROOT } from "../core/package-info.js";

export { PACKAGE_ROOT };

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
