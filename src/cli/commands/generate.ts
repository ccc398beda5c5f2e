import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parseArgs } from "node:util";
import { ARTEFACTS } from "../../app/artefacts.js";
import { PACKAGE_ROOT } from "../config-file.js";
import { type CliCommand, EXIT } from "../types.js";

export const generateCommand: CliCommand = {
  name: "generate",
  summary: "regenerate every committed artefact (config schema, register maps, MIB, EDE, docs); --check only compares",
  usage: "bmsgw generate [--check]",
  async run(args) {
    const { values } = parseArgs({ args, options: { check: { type: "boolean", default: false } } });
    let drift = 0;
    for (const a of ARTEFACTS) {
      const path = resolve(PACKAGE_ROOT, a.path);
      const text = a.render();
      let old: string | undefined;
      try {
        old = readFileSync(path, "utf8");
      } catch {}
      if (old === text) continue;
      drift++;
      if (values.check) process.stdout.write(`${a.path} is out of date (source: ${a.source})\n`);
      else {
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, text);
        process.stdout.write(`wrote ${a.path}\n`);
      }
    }
    return values.check && drift > 0 ? EXIT.failure : EXIT.ok;
  },
};
