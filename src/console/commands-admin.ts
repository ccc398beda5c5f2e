/**
 * Console commands that change the gateway: settings (`config set|unset|show`, `show settings|config`) and local
 * users (`user add|del|passwd|role`). Authorization is the auth service's (`config.write`, `users.manage`); refusals
 * decided here are audited with the protocol, changes are audited by the config editor and the user store.
 */

import { stringify } from "yaml";
import { randomPassword } from "../auth/local-users.js";
import type { Role } from "../core/adapter.js";
import { formatPath } from "../core/config/load.js";
import { parseConfigPath, valueAt } from "../core/config/paths.js";
import { SETTINGS, settingByName } from "../core/settings.js";
import { table } from "./format.js";
import type { CommandScope, CommandSpec, ConsoleIO, Invocation } from "./interpreter.js";
import { type ConsoleOutput, EXIT, fail, json, ok } from "./output.js";

const ROLES: readonly Role[] = ["viewer", "operator", "admin"];

/** A config value typed on the command line: numbers and booleans become such; JSON for lists; quoted stays text. */
export function parseConfigValue(text: string, quoted: boolean): { value: unknown } | { error: string } {
  if (quoted) return { value: text };
  if (text === "true" || text === "on" || text === "yes") return { value: true };
  if (text === "false" || text === "off" || text === "no") return { value: false };
  if (/^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/.test(text)) return { value: Number(text) };
  if (text.startsWith("[") || text.startsWith("{")) {
    try {
      return { value: JSON.parse(text) as unknown };
    } catch (error) {
      return { error: `not valid JSON: ${(error as Error).message}` };
    }
  }
  // Durations (30s, 15m), addresses, names: the config schema knows what they mean.
  return { value: text };
}

/** `alarms.thresholds.soc.low`, `strings[1].blocks` or a setting's short name → the path keys. */
export function configPathKeys(path: string): (string | number)[] | undefined {
  const setting = settingByName(path);
  if (setting) return [...setting.path];
  return parseConfigPath(path);
}

function restartRequired(data: unknown): boolean | undefined {
  if (data && typeof data === "object" && "restartRequired" in data) {
    const flag = (data as { restartRequired: unknown }).restartRequired;
    if (typeof flag === "boolean") return flag;
  }
  return undefined;
}

export function adminCommands(scope: CommandScope): CommandSpec[] {
  const { deps } = scope;
  const settingNames = () => [...SETTINGS.map((s) => s.name), ...Object.keys(deps.services.settings?.current() ?? {})];

  const setConfig = async (inv: Invocation, unset: boolean): Promise<ConsoleOutput> => {
    const [path, text] = inv.args;
    const verb = unset ? "config unset" : "config set";
    if (!deps.auth.authorize(scope.principal, "config.write"))
      return scope.refuse(`${verb} ${path ?? ""}`.trim(), { path: path ?? "" });
    if (!path || (unset ? inv.args.length !== 1 : inv.args.length !== 2))
      return fail(EXIT.usage, "E_CONSOLE_USAGE", unset ? "usage: config unset PATH" : "usage: config set PATH VALUE");
    const keys = configPathKeys(path);
    if (!keys)
      return fail(
        EXIT.usage,
        "E_CONSOLE_CONFIG_PATH",
        `'${path}' is not a config path (e.g. alarms.thresholds.soc.low)`,
      );
    let value: unknown;
    if (!unset) {
      const parsed = parseConfigValue(text as string, inv.quoted[1] ?? false);
      if ("error" in parsed) return fail(EXIT.usage, "E_CONSOLE_CONFIG_VALUE", `${path}: ${parsed.error}`);
      value = parsed.value;
    }
    const result = await deps.commands.run(scope.principal, { kind: "config-set", path: formatPath(keys), value });
    if (inv.json) return { exitCode: result.ok ? EXIT.ok : EXIT.failed, text: JSON.stringify(result, null, 2) };
    if (!result.ok)
      return fail(result.code === "E_FORBIDDEN" ? EXIT.forbidden : EXIT.failed, result.code, result.error);
    const restart = restartRequired(result.data);
    const note =
      restart === true
        ? "Restart required: yes — saved; it takes effect when the gateway restarts."
        : restart === false
          ? "Restart required: no — in force now."
          : "";
    return ok(note ? `${result.message}\n${note}` : result.message);
  };

  const showConfig = ({ args, json: asJson }: Invocation): ConsoleOutput => {
    if (!deps.auth.authorize(scope.principal, "config.write")) return scope.refuse("show the configuration");
    const settings = deps.services.settings;
    if (!settings) return fail(EXIT.failed, "E_CONSOLE_NO_SETTINGS", "the configuration is not available here");
    let value: unknown = settings.current();
    if (args[0] !== undefined) {
      const keys = configPathKeys(args[0]);
      value = keys ? valueAt(value, keys) : undefined;
      if (value === undefined)
        return fail(EXIT.notFound, "E_CONSOLE_CONFIG_PATH", `nothing configured at '${args[0]}' (defaults apply)`);
    }
    if (asJson) return json(value);
    const header = settings.file
      ? `# ${settings.file} (secrets hidden)\n`
      : "# running configuration (secrets hidden)\n";
    return ok(`${header}${typeof value === "object" ? stringify(value).trimEnd() : String(value)}`);
  };

  /** Asks twice without echo; a message when it failed. */
  const askNewPassword = async (io: ConsoleIO, name: string): Promise<string | ConsoleOutput> => {
    const first = await io.askSecret(`New password for ${name}: `);
    if (first === undefined) return fail(EXIT.failed, "E_CONSOLE_CANCELLED", "nothing changed");
    const second = await io.askSecret("Retype the new password: ");
    if (second === undefined) return fail(EXIT.failed, "E_CONSOLE_CANCELLED", "nothing changed");
    if (first !== second)
      return fail(EXIT.usage, "E_CONSOLE_PASSWORD_MISMATCH", "the passwords differ; nothing changed");
    return first;
  };

  /** The password for `user add` / `user passwd`: asked on an interactive session, else generated and shown once. */
  const obtainPassword = async (
    inv: Invocation,
    name: string,
  ): Promise<{ password: string; generated: boolean } | ConsoleOutput> => {
    if (inv.io?.interactive && !inv.flags.has("generate")) {
      const answer = await askNewPassword(inv.io, name);
      return typeof answer === "string" ? { password: answer, generated: false } : answer;
    }
    return { password: randomPassword(), generated: true };
  };

  const localUsers = () => {
    const users = deps.auth.users;
    if (!users)
      throw Object.assign(new Error("local users are not configured (auth.providers has no 'local')"), {
        code: "E_CONSOLE_NO_LOCAL_USERS",
      });
    return users;
  };

  const parseRoles = (text: string | undefined): Role[] | undefined => {
    const roles = (text ?? "viewer").split(",").map((r) => r.trim());
    return roles.every((r) => ROLES.includes(r as Role)) ? (roles as Role[]) : undefined;
  };

  return [
    {
      words: ["config", "set"],
      usage: "config set PATH|NAME VALUE",
      help: "Changes a setting, validated and saved (admin).",
      run: (inv) => setConfig(inv, false),
      complete: (args) => (args.length === 0 ? settingNames() : []),
    },
    {
      words: ["config", "unset"],
      usage: "config unset PATH|NAME",
      help: "Removes a setting from the file: back to its default (admin).",
      run: (inv) => setConfig(inv, true),
      complete: (args) => (args.length === 0 ? settingNames() : []),
    },
    {
      words: ["config", "show"],
      usage: "config show [PATH]",
      help: "The running configuration or one part of it, secrets hidden (admin).",
      run: showConfig,
      complete: (args) => (args.length === 0 ? settingNames() : []),
    },
    {
      words: ["show", "config"],
      usage: "show config [PATH]",
      help: "Same as 'config show'.",
      run: showConfig,
      complete: (args) => (args.length === 0 ? settingNames() : []),
    },
    {
      words: ["show", "settings"],
      usage: "show settings",
      help: "Alarm settings in force, with their names for 'config set'.",
      run: ({ json: asJson }) => {
        const settings = deps.services.settings;
        if (!settings) return fail(EXIT.failed, "E_CONSOLE_NO_SETTINGS", "the settings are not available here");
        const list = settings.list();
        if (asJson)
          return json(
            list.map((s) => ({
              index: s.index,
              name: s.name,
              path: s.path.join("."),
              value: s.value,
              unit: s.unit,
              configured: s.configured,
            })),
          );
        return ok(
          `${table(
            ["#", "Name", "Value", "Unit", "Source"],
            list.map((s) => [String(s.index), s.name, String(s.value), s.unit, s.configured ? "config" : "default"]),
          )}\n\nChange one with: config set NAME VALUE (e.g. config set blockVoltageHighAlarm 14.6)`,
        );
      },
    },
    {
      words: ["user", "add"],
      usage: "user add NAME [--role R[,R]] [--generate] [--must-change]",
      help: "Adds a local user; asks the password, or generates one (admin).",
      run: async (inv) => {
        const [name] = inv.args;
        if (!deps.auth.authorize(scope.principal, "users.manage")) return scope.refuse(`add user ${name ?? ""}`);
        const roles = parseRoles(inv.options.get("role"));
        if (!name || inv.args.length !== 1 || !roles)
          return fail(EXIT.usage, "E_CONSOLE_USAGE", "usage: user add NAME [--role viewer|operator|admin]");
        const users = localUsers();
        const secret = await obtainPassword(inv, name);
        if ("exitCode" in secret) return secret;
        const info = await users.add(scope.principal, name, secret.password, roles, {
          mustChangePassword: secret.generated || inv.flags.has("must-change"),
        });
        if (inv.json) return json({ ...info, ...(secret.generated ? { password: secret.password } : {}) });
        return ok(
          `Added ${info.name} (${info.roles.join(", ")}).${secret.generated ? `\nOne-time password: ${secret.password}\nIt is shown only now; ${name} must change it at first login.` : ""}`,
        );
      },
    },
    {
      words: ["user", "del"],
      usage: "user del NAME",
      help: "Deletes a local user; never the last admin (admin).",
      run: async ({ args }) => {
        const [name] = args;
        if (!deps.auth.authorize(scope.principal, "users.manage")) return scope.refuse(`delete user ${name ?? ""}`);
        if (!name || args.length !== 1) return fail(EXIT.usage, "E_CONSOLE_USAGE", "usage: user del NAME");
        if (name === scope.principal.user)
          return fail(EXIT.failed, "E_CONSOLE_SELF", "you cannot delete the user you are logged in as");
        await localUsers().delete(scope.principal, name);
        return ok(`Deleted ${name}.`);
      },
    },
    {
      words: ["user", "passwd"],
      usage: "user passwd [NAME] [--generate] [--must-change]",
      help: "Sets your password, or another user's (admin).",
      run: async (inv) => {
        const name = inv.args[0] ?? scope.principal.user;
        const self = name === scope.principal.user;
        if (inv.args.length > 1) return fail(EXIT.usage, "E_CONSOLE_USAGE", "usage: user passwd [NAME]");
        if (!self && !deps.auth.authorize(scope.principal, "users.manage"))
          return scope.refuse(`set the password of ${name}`);
        if (self && scope.principal.source !== "local")
          return fail(
            EXIT.failed,
            "E_CONSOLE_NOT_LOCAL",
            `${name} logs in through ${scope.principal.source}; change the password there`,
          );
        if (self && !inv.io?.interactive)
          return fail(EXIT.usage, "E_CONSOLE_INTERACTIVE", "set your own password in an interactive session (ssh -t)");
        if (self && inv.io) {
          const answer = await askNewPassword(inv.io, name);
          if (typeof answer !== "string") return answer;
          await localUsers().setPassword(scope.principal, name, answer, false);
          const { mustChangePassword: _, ...rest } = scope.principal;
          scope.setPrincipal(rest);
          return ok("Password changed.");
        }
        const secret = await obtainPassword(inv, name);
        if ("exitCode" in secret) return secret;
        const mustChange = secret.generated || inv.flags.has("must-change");
        await localUsers().setPassword(scope.principal, name, secret.password, mustChange);
        if (inv.json)
          return json({
            name,
            mustChangePassword: mustChange,
            ...(secret.generated ? { password: secret.password } : {}),
          });
        return ok(
          `Password of ${name} set.${secret.generated ? `\nOne-time password: ${secret.password}\nIt is shown only now; ${name} must change it at next login.` : mustChange ? ` ${name} must change it at next login.` : ""}`,
        );
      },
    },
    {
      words: ["user", "role"],
      usage: "user role NAME ROLE[,ROLE]",
      help: "Sets a local user's roles (admin).",
      complete: (args) => (args.length === 1 ? [...ROLES] : []),
      run: async ({ args, json: asJson }) => {
        const [name, text] = args;
        if (!deps.auth.authorize(scope.principal, "users.manage"))
          return scope.refuse(`set the roles of ${name ?? ""}`);
        const roles = parseRoles(text);
        if (!name || !text || args.length !== 2 || !roles)
          return fail(EXIT.usage, "E_CONSOLE_USAGE", "usage: user role NAME viewer|operator|admin");
        const info = await localUsers().setRoles(scope.principal, name, roles);
        return asJson ? json(info) : ok(`${info.name} now has ${info.roles.join(", ")}.`);
      },
    },
  ];
}
