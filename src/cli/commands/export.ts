import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { BANNER } from "../../app/artefacts.js";
import { renderPlantEde } from "../../app/docs/bacnet-ede.js";
import { EDE_FORMATS } from "../../protocols/bacnet/ede.js";
import { REGISTER_MAP_FORMATS, renderRegisterMap } from "../../protocols/modbus/register-map-doc.js";
import { type CliCommand, EXIT } from "../types.js";

/** One exportable artefact: its formats and how to render each. Add a line to EXPORTS for a new one. */
interface Exporter {
  readonly formats: readonly string[];
  readonly summary: string;
  /** `configFile`: the plant config for plant-specific artefacts (EDE); default config/demo.yaml. */
  render(format: string, configFile?: string): string;
}

const EXPORTS: Readonly<Record<string, Exporter>> = {
  "register-map": {
    formats: REGISTER_MAP_FORMATS,
    summary: "Modbus register map",
    render: (format) => renderRegisterMap(format as (typeof REGISTER_MAP_FORMATS)[number]),
  },
  ede: {
    formats: EDE_FORMATS,
    summary: "BACnet EDE files (objects, state texts) of the plant in --config",
    render: (format, configFile) => renderPlantEde(format as (typeof EDE_FORMATS)[number], BANNER, configFile),
  },
};

function usageText(): string {
  return Object.entries(EXPORTS)
    .map(([name, e]) => `bmsgw export ${name} --format ${e.formats.join("|")} [--output FILE]   ${e.summary}`)
    .join("\n");
}

export const exportCommand: CliCommand = {
  name: "export",
  summary: "export an artefact for integrators (register-map …) to stdout or a file",
  usage: usageText(),
  async run(args) {
    const [name, ...rest] = args;
    const exporter = name ? EXPORTS[name] : undefined;
    if (!exporter) {
      process.stderr.write(`E_EXPORT_UNKNOWN: unknown artefact "${name ?? ""}"; one of:\n${usageText()}\n`);
      return EXIT.usage;
    }
    let values: { format?: string | undefined; output?: string | undefined; config?: string | undefined };
    try {
      ({ values } = parseArgs({
        args: rest,
        options: {
          format: { type: "string", short: "f" },
          output: { type: "string", short: "o" },
          config: { type: "string", short: "c" },
        },
      }));
    } catch (error) {
      process.stderr.write(`E_EXPORT_USAGE: ${(error as Error).message}\n${usageText()}\n`);
      return EXIT.usage;
    }
    const format = values.format ?? exporter.formats[0] ?? "";
    if (!exporter.formats.includes(format)) {
      process.stderr.write(`E_EXPORT_FORMAT: ${name} has formats ${exporter.formats.join(", ")}, not "${format}"\n`);
      return EXIT.usage;
    }
    const text = exporter.render(format, values.config);
    if (values.output) writeFileSync(values.output, text);
    else process.stdout.write(text);
    return EXIT.ok;
  },
};
