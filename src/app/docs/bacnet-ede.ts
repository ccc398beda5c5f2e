import { resolve } from "node:path";
import { formatConfigErrors, loadConfigFile } from "../../core/config/load.js";
import { PACKAGE_ROOT, packageVersion } from "../../core/package-info.js";
import { buildTopology } from "../../core/topology.js";
import { type EdeFormat, renderEde } from "../../protocols/bacnet/ede.js";
import { gatewayConfigSchema } from "../config-schema.js";

/** The EDE files of the plant in `configFile` (default: the demo plant, which the committed files describe). */
export function renderPlantEde(format: EdeFormat, banner: string, configFile?: string): string {
  const file = configFile ?? resolve(PACKAGE_ROOT, "config/demo.yaml");
  const result = loadConfigFile(gatewayConfigSchema, file);
  if (!result.ok) throw new Error(`E_CONFIG: ${formatConfigErrors(file, result.errors)}`);
  return renderEde(buildTopology(result.config), result.config.protocols.bacnet, format, banner, packageVersion());
}
