import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { sendControlRequest } from "../../app/control-server.js";
import { SimControl } from "../../sim/index.js";
import { configPath, loadConfigOrReport } from "../config-file.js";
import { type CliCommand, EXIT } from "../types.js";

export const simCommand: CliCommand = {
  name: "sim",
  summary: "control the simulator of a running gateway (set, offline, online, fault, discharge, scenario …)",
  usage: `bmsgw sim [--config FILE] COMMAND …\n${SimControl.usage()}\nscenario FILE   (run a YAML list of scenario steps)`,
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { config: { type: "string", short: "c" } },
    });
    if (positionals.length === 0) {
      process.stderr.write(`usage: ${this.usage}\n`);
      return EXIT.usage;
    }
    const config = loadConfigOrReport(configPath(values.config));
    if (!config) return EXIT.config;
    const storage = resolve(config.storage.path);
    let steps: { at: number; words: string[] }[] = [{ at: 0, words: positionals }];
    if (positionals[0] === "scenario") {
      const file = positionals[1];
      if (!file) {
        process.stderr.write("usage: bmsgw sim scenario FILE\n");
        return EXIT.usage;
      }
      const { loadScenarioFile } = await import("../../sim/scenario-file.js");
      const loaded = loadScenarioFile(file);
      if (!loaded.ok) {
        process.stderr.write(`${loaded.error}\n`);
        return EXIT.config;
      }
      steps = loaded.steps;
    }
    try {
      const started = Date.now();
      for (const { at, words } of steps) {
        const wait = started + at - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        const result = await sendControlRequest(storage, { op: "sim", args: words });
        if (!result.ok) {
          process.stderr.write(`${result.error}\n`);
          return result.code === "E_SIM_USAGE" ? EXIT.usage : EXIT.failure;
        }
        process.stdout.write(`${result.message}\n`);
      }
      return EXIT.ok;
    } catch (error) {
      process.stderr.write(`${(error as Error).message}\n`);
      return EXIT.unreachable;
    }
  },
};
