import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The folder holding the built web dashboard (index.html, app.js, app.css): `dist/http-ui` under the package root,
 * produced by `npm run build` (scripts/build-ui.mjs). Found from this module's location, so it is the same whether
 * the gateway runs from `src` (tsx) or from `dist/src` (compiled).
 */
export function uiAssetDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    if (existsSync(join(dir, "package.json"))) return join(dir, "dist", "http-ui");
    dir = dirname(dir);
  }
  throw new Error("E_HTTP_UI_ROOT: cannot find the package root above the web UI module; reinstall the gateway");
}
