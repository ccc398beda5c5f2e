/**
 * Dotted configuration paths as operators type them (`alarms.thresholds.blockVoltage.highAlarm`,
 * `alarms.blocks.1/17.blockVoltage`, `strings[2].bus`), shared by the config editor and every front end.
 */
export type ConfigKeys = (string | number)[];

/** The keys of a dotted path, or undefined when it is not one. */
export function parseConfigPath(path: string): ConfigKeys | undefined {
  if (!/^[A-Za-z_][\w-]*(?:\[\d+\]|\.[\w/-]+)*$/.test(path)) return undefined;
  return (path.match(/\[\d+\]|[^.[\]]+/g) ?? []).map((part) =>
    part.startsWith("[") ? Number(part.slice(1, -1)) : part,
  );
}

/** The value at `keys` inside a parsed configuration (undefined when any step is missing). */
export function valueAt(value: unknown, keys: readonly (string | number)[]): unknown {
  let node = value;
  for (const key of keys) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<string | number, unknown>)[key];
  }
  return node;
}
