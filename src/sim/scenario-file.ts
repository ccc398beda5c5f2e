import { z } from "zod";
import { formatConfigErrors, loadConfigFile } from "../core/config/load.js";
import { simulatorSchema } from "./config-schema.js";
import { stepToWords } from "./control.js";

const scenarioFileSchema = simulatorSchema.shape.scenario.unwrap();

/** Loads a YAML list of scenario steps (the same form as `simulator.scenario`) as timed simulator commands. */
export function loadScenarioFile(
  file: string,
): { ok: true; steps: { at: number; words: string[] }[] } | { ok: false; error: string } {
  const result = loadConfigFile(z.array(scenarioFileSchema.element), file);
  if (!result.ok) return { ok: false, error: formatConfigErrors(file, result.errors) };
  return { ok: true, steps: result.config.map((step) => ({ at: step.at, words: stepToWords(step) })) };
}
