import { readFileSync } from "node:fs";
import { isNode, LineCounter, parseDocument } from "yaml";
import type { z } from "zod";

export interface ConfigError {
  /** Dotted path of the offending field, e.g. `strings[2].bus`. */
  readonly path: string;
  /** 1-based line in the file, when known. */
  readonly line?: number;
  readonly message: string;
}

export type ConfigResult<T> = { ok: true; config: T } | { ok: false; errors: ConfigError[] };

export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out || "(root)";
}

export function formatConfigErrors(file: string, errors: readonly ConfigError[]): string {
  return errors.map((e) => `${file}${e.line ? `:${e.line}` : ""}: ${e.path}: ${e.message}`).join("\n");
}

/** Parses YAML text and validates it; every error carries its path and, where the node exists, its line. */
export function parseConfig<S extends z.ZodType>(schema: S, text: string): ConfigResult<z.output<S>> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      errors: doc.errors.map((e) => ({
        path: "(yaml)",
        line: lineCounter.linePos(e.pos[0]).line,
        message: e.message.split("\n")[0] ?? e.message,
      })),
    };
  }
  const data = doc.toJS() ?? {};
  const result = schema.safeParse(data);
  if (result.success) return { ok: true, config: result.data };
  const lineOf = (path: readonly PropertyKey[]): number | undefined => {
    // Walk up to the deepest node that exists: a missing key is reported at its parent.
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n) as unknown[], true);
      if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
    }
    return undefined;
  };
  return {
    ok: false,
    errors: result.error.issues.map((issue) => ({
      path: formatPath(issue.path),
      line: lineOf(issue.path),
      message: issue.message,
    })),
  };
}

export function loadConfigFile<S extends z.ZodType>(schema: S, file: string): ConfigResult<z.output<S>> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    return { ok: false, errors: [{ path: "(file)", message: `cannot read ${file}: ${(error as Error).message}` }] };
  }
  return parseConfig(schema, text);
}
