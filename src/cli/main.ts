#!/usr/bin/env node
import { COMMANDS } from "./commands/index.js";
import { EXIT } from "./types.js";

function help(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    "bmsgw — battery-monitoring protocol gateway",
    "",
    "usage: bmsgw COMMAND [options]",
    "",
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "bmsgw COMMAND --help shows a command's usage.",
  ].join("\n");
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "help" || name === "--help" || name === "-h") {
    process.stdout.write(`${help()}\n`);
    return name ? EXIT.ok : EXIT.usage;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    process.stderr.write(`unknown command "${name}"\n\n${help()}\n`);
    return EXIT.usage;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    process.stdout.write(`usage: ${command.usage}\n`);
    return EXIT.ok;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    const e = error as Error & { code?: string };
    process.stderr.write(`bmsgw ${name}: ${e.message}\n`);
    return e.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" || e.code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE"
      ? EXIT.usage
      : EXIT.failure;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`${(error as Error).stack ?? error}\n`);
    process.exitCode = EXIT.failure;
  },
);
