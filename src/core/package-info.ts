import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The package root: the nearest folder above this module with a package.json (from src/ or dist/src/ alike). */
export const PACKAGE_ROOT = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(resolve(dir, "package.json")) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
})();

let version: string | undefined;

/** The gateway's version from its package manifest (sysDescr, BACnet device, Modbus device identification). */
export function packageVersion(): string {
  if (version === undefined) {
    try {
      const manifest = JSON.parse(readFileSync(resolve(PACKAGE_ROOT, "package.json"), "utf8")) as { version?: string };
      version = manifest.version ?? "0.0.0";
    } catch {
      version = "0.0.0";
    }
  }
  return version;
}
