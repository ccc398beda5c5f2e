import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { formatConfigErrors, loadConfigFile } from "../../core/config/load.js";
import { buildTopology } from "../../core/topology.js";
import { packageVersion } from "../../protocols/bacnet/adapter.js";
import { type EdeFormat, renderEde } from "../../protocols/bacnet/ede.js";
import { gatewayConfigSchema } from "../config-schema.js";

function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(resolve(dir, "package.json")) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

/** The EDE files of the plant in `configFile` (default: the demo plant, which the committed files describe). */
export function renderPlantEde(format: EdeFormat, banner: string, configFile?: string): string {
  const file = configFile ?? resolve(packageRoot(), "config/demo.yaml");
  const result = loadConfigFile(gatewayConfigSchema, file);
  if (!result.ok) throw new Error(`E_CONFIG: ${formatConfigErrors(file, result.errors)}`);
  return renderEde(buildTopology(result.config), result.config.protocols.bacnet, format, banner, packageVersion());
}
