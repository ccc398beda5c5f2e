#!/usr/bin/env node
// Bundles the web dashboard (src/protocols/http/ui) with esbuild into dist/http-ui: index.html, app.js, app.css.
// Runs in `npm run build` (and so on install through "prepare"); the gateway serves the folder, no CDN.
// Usage: node scripts/build-ui.mjs [--dev] [outDir]
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const source = join(root, "src/protocols/http/ui");

/** Builds the dashboard into `outDir` (default dist/http-ui); `minify: false` keeps it readable for debugging. */
export async function buildUi({ outDir = join(root, "dist/http-ui"), minify = true } = {}) {
  mkdirSync(outDir, { recursive: true });
  await build({
    entryPoints: [
      { in: join(source, "main.ts"), out: "app" },
      { in: join(source, "styles.css"), out: "app" },
    ],
    bundle: true,
    format: "esm",
    target: ["es2022", "chrome110", "firefox110", "safari16"],
    outdir: outDir,
    minify,
    sourcemap: true,
    legalComments: "linked",
    logLevel: "warning",
  });
  copyFileSync(join(source, "index.html"), join(outDir, "index.html"));
  return outDir;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const outDir = args.find((a) => !a.startsWith("--"));
  const dir = await buildUi({ ...(outDir ? { outDir: resolve(outDir) } : {}), minify: !args.includes("--dev") });
  console.log(`web UI built into ${dir}`);
}
