import { closeSync, fsyncSync, openSync, readFileSync, renameSync, statSync, writeSync } from "node:fs";
import type { Logger } from "pino";
import { Document, parseDocument } from "yaml";
import type { CommandResult, Principal } from "../core/adapter.js";
import { defaultThresholds } from "../core/alarms/thresholds.js";
import { formatPath } from "../core/config/load.js";
import { parseConfigPath, valueAt } from "../core/config/paths.js";
import { SETTINGS, type SettingsView, type SettingValue } from "../core/settings.js";
import type { CommandRouter } from "./commands.js";
import { type GatewayConfig, gatewayConfigSchema } from "./config-schema.js";

/** Whoever applies one part of the configuration live; false = the change waits for a restart. */
export interface LiveSection {
  readonly name: string;
  section(config: GatewayConfig): unknown;
  apply(section: unknown): boolean;
}

export interface ConfigEditorOptions {
  readonly config: GatewayConfig;
  /** Written back on every change; without one, changes live in memory until the gateway stops. */
  readonly file?: string;
  readonly commands: CommandRouter;
  readonly log: Logger;
  /** Every component with a config section, so a change can tell which ones it touches. */
  readonly components: readonly { readonly name: string; section(config: GatewayConfig): unknown }[];
}

const SECRET_KEY = /password|secret|passphrase|communit|token|authKey|privKey|privateKey|hostKey/i;
const REDACTED = "********";

/** The running configuration with every value under a secret-looking key replaced, safe to show on any admin screen. */
export function redactSecrets(value: unknown, key = "", secret = false): unknown {
  const hidden = secret || SECRET_KEY.test(key);
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v, "", hidden));
  if (value && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactSecrets(v, k, hidden)]));
  return hidden && value !== undefined && value !== null ? REDACTED : value;
}

/** Write then rename after fsync: a crash leaves either the old file or the new one, never half of either. */
function writeAtomically(file: string, text: string): void {
  const temporary = `${file}.${process.pid}.tmp`;
  const mode = statSync(file, { throwIfNoEntry: false })?.mode ?? 0o600;
  const fd = openSync(temporary, "w", mode & 0o777);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, file);
}

/**
 * Runtime configuration changes (`config-set`): edits the YAML document (comments and layout survive), validates the
 * whole result with the config-file schema, writes it back atomically, applies live what can be applied and audits
 * the change (event 402) with old and new value (secrets redacted).
 */
export class ConfigEditor implements SettingsView {
  private config: GatewayConfig;
  /** The in-memory document when there is no file. */
  private document: Document | undefined;
  private readonly live: LiveSection[] = [];
  private listed: { config: GatewayConfig; values: readonly SettingValue[] } | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  readonly file?: string;

  constructor(private readonly options: ConfigEditorOptions) {
    this.config = options.config;
    if (options.file) this.file = options.file;
  }

  /** Registers a live applier for one component's section. */
  onChange(section: LiveSection): void {
    this.live.push(section);
  }

  current(): Readonly<Record<string, unknown>> {
    return redactSecrets(this.config) as Record<string, unknown>;
  }

  list(): readonly SettingValue[] {
    // Read per SNMP request and per Modbus settings read: computed once per configuration.
    if (this.listed?.config === this.config) return this.listed.values;
    const values = this.computeList();
    this.listed = { config: this.config, values };
    return values;
  }

  private computeList(): readonly SettingValue[] {
    const first = this.config.strings[0];
    const defaults = first ? defaultThresholds(first) : undefined;
    return SETTINGS.map((def) => {
      const configured = valueAt(this.config, def.path);
      const fallback = defaults ? valueAt(defaults, def.path.slice(2)) : undefined;
      const value = typeof configured === "number" ? configured : typeof fallback === "number" ? fallback : Number.NaN;
      return { ...def, value: Number.isFinite(value) ? value : 0, configured: typeof configured === "number" };
    });
  }

  /** Serialized: two admins changing settings at once both land, one after the other. */
  set(principal: Principal, path: string, value: unknown): Promise<CommandResult> {
    const next = this.queue.then(() => this.apply(principal, path, value));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private loadDocument(): Document {
    if (this.options.file) return parseDocument(readFileSync(this.options.file, "utf8"), { uniqueKeys: true });
    this.document ??= new Document(this.options.config);
    return this.document.clone();
  }

  private async apply(principal: Principal, path: string, value: unknown): Promise<CommandResult> {
    const keys = parseConfigPath(path);
    if (!keys)
      return { ok: false, code: "E_CONFIG_PATH", error: `${path}: not a configuration path (e.g. alarms.raiseDelay)` };
    let document: Document;
    try {
      document = this.loadDocument();
    } catch (error) {
      return { ok: false, code: "E_CONFIG_FILE", error: `cannot read ${this.file}: ${(error as Error).message}` };
    }
    if (document.errors.length > 0)
      return { ok: false, code: "E_CONFIG_FILE", error: `${this.file} no longer parses; fix it by hand first` };
    if (value === undefined) document.deleteIn(keys);
    else document.setIn(keys, value);
    const parsed = gatewayConfigSchema.safeParse(document.toJS() ?? {});
    if (!parsed.success)
      return {
        ok: false,
        code: "E_CONFIG_INVALID",
        error: parsed.error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`).join("; "),
      };
    const before = this.config;
    const after = parsed.data;
    if (this.file) {
      try {
        writeAtomically(this.file, document.toString());
      } catch (error) {
        return { ok: false, code: "E_CONFIG_WRITE", error: `cannot write ${this.file}: ${(error as Error).message}` };
      }
    } else this.document = document;
    this.config = after;

    const changed = this.options.components.filter(
      (c) => JSON.stringify(c.section(before)) !== JSON.stringify(c.section(after)),
    );
    const applied: string[] = [];
    const pending: string[] = [];
    for (const component of changed) {
      const live = this.live.find((l) => l.name === component.name);
      let ok = false;
      try {
        ok = live?.apply(live.section(after)) ?? false;
      } catch (error) {
        this.options.log.error({ err: error, component: component.name }, "live configuration change failed");
      }
      (ok ? applied : pending).push(component.name);
    }
    // Sections no component owns (strings, buses, storage, logging …) take effect at the next start.
    const restartRequired =
      pending.length > 0 || (changed.length === 0 && JSON.stringify(before) !== JSON.stringify(after));
    const shown = (v: unknown) => JSON.stringify(redactSecrets(v, String(keys.at(-1)))) ?? "(default)";
    this.options.commands.audit({
      name: "config-changed",
      user: principal.user,
      text: `${principal.user} set ${path} from ${shown(valueAt(before, keys))} to ${shown(valueAt(after, keys))}${restartRequired ? " (restart required)" : ""}`,
      detail: { path, source: principal.source, applied: applied.join(","), restartRequired: String(restartRequired) },
    });
    return {
      ok: true,
      message: `${path} = ${shown(valueAt(after, keys))}${restartRequired ? "; saved, takes effect after a restart" : applied.length ? "; applied" : ""}`,
      data: { path, value: valueAt(after, keys), applied, restartRequired },
    };
  }
}
