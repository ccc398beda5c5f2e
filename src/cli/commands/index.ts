import type { CliCommand } from "../types.js";
import { checkConfigCommand } from "./check-config.js";
import { discoverCommand } from "./discover.js";
import { exportCommand } from "./export.js";
import { generateCommand } from "./generate.js";
import { notifyCommand } from "./notify.js";
import { simCommand } from "./sim.js";
import { simulateCommand } from "./simulate.js";
import { startCommand } from "./start.js";
import { userCommand } from "./user.js";

/** Every `bmsgw` sub-command; add one line per new command. */
export const COMMANDS: readonly CliCommand[] = [
  startCommand,
  checkConfigCommand,
  simCommand,
  simulateCommand,
  discoverCommand,
  generateCommand,
  exportCommand,
  notifyCommand,
  userCommand,
];
