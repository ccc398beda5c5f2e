import { parseArgs } from "node:util";
import { configPath, loadConfigOrReport } from "../config-file.js";
import { type CliCommand, EXIT } from "../types.js";

export const checkConfigCommand: CliCommand = {
  name: "check-config",
  summary: "validate a configuration file and print every error with its path and line",
  usage: "bmsgw check-config [FILE]",
  async run(args) {
    const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
    const file = configPath(positionals[0]);
    const config = loadConfigOrReport(file);
    if (!config) return EXIT.config;
    const blocks = config.strings.reduce((n, s) => n + s.blocks, 0);
    process.stdout.write(
      `${file}: valid — ${config.buses.length} bus(es), ${config.strings.length} string(s), ${blocks} blocks\n`,
    );
    return EXIT.ok;
  },
};
