import { parseArgs } from "node:util";
import { createLogger } from "../../app/logger.js";
import { buildTopology } from "../../core/topology.js";
import { startSimulator } from "../../sim/index.js";
import { configPath, loadConfigOrReport } from "../config-file.js";
import { type CliCommand, EXIT } from "../types.js";

export const simulateCommand: CliCommand = {
  name: "simulate",
  summary: "run only the probe simulator: rtu-tcp buses listen on their host/port, serial buses open their device",
  usage: "bmsgw simulate [--config FILE]",
  async run(args) {
    const { values } = parseArgs({ args, options: { config: { type: "string", short: "c" } } });
    const config = loadConfigOrReport(configPath(values.config));
    if (!config) return EXIT.config;
    const log = createLogger(config.logging.level);
    const sim = await startSimulator({
      topology: buildTopology(config),
      buses: config.buses,
      config: config.simulator,
      log: log.child({ component: "simulator" }),
      exposure: "as-configured",
    });
    for (const a of sim.attachments)
      log.info(`bus ${a.bus}: simulator answering on ${a.kind === "tcp" ? `rtu-tcp://${a.host}:${a.port}` : a.path}`);
    await new Promise<void>((resolve) => {
      process.once("SIGINT", () => resolve());
      process.once("SIGTERM", () => resolve());
    });
    await sim.stop();
    return EXIT.ok;
  },
};
