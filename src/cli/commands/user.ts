import { resolve } from "node:path";
import { createInterface } from "node:readline";
import { Writable } from "node:stream";
import { parseArgs } from "node:util";
import { ROLES } from "../../auth/config-schema.js";
import { LocalUserStore, UserAdminError } from "../../auth/index.js";
import { randomPassword } from "../../auth/local-users.js";
import type { Role } from "../../core/adapter.js";
import { configPath, loadConfigOrReport } from "../config-file.js";
import { type CliCommand, EXIT } from "../types.js";

const USAGE = `bmsgw user [--config FILE] COMMAND …
  list                                   list local users (roles, must-change flag, SSH key fingerprints)
  add NAME [--role ROLE] [--key KEY]… [--password-stdin] [--must-change]
                                         add a user (ROLE: viewer, operator, admin; default viewer)
  passwd NAME [--password-stdin] [--must-change]
                                         set a password
  role NAME ROLE                         set the role
  keys NAME [--key KEY]…                 replace the SSH public keys (none: remove all)
  del NAME                               delete a user (never the last admin)
Without --password-stdin the password is asked twice on a terminal; with no terminal a random one is
generated, printed once and flagged must-change.`;

/** First line of stdin, without its line ending. */
async function readStdinLine(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8").split(/\r?\n/)[0] ?? "";
}

/** Asks for a password on the terminal without echoing it. */
function ask(prompt: string): Promise<string> {
  const muted = new Writable({ write: (_chunk, _enc, done) => done() });
  const rl = createInterface({ input: process.stdin, output: muted, terminal: true });
  process.stdout.write(prompt);
  return new Promise((done) =>
    rl.question("", (answer) => {
      rl.close();
      process.stdout.write("\n");
      done(answer);
    }),
  );
}

/** The new password and whether it was generated (then it is shown once and must be changed). */
async function obtainPassword(fromStdin: boolean): Promise<{ password: string; generated: boolean } | undefined> {
  if (fromStdin) return { password: await readStdinLine(), generated: false };
  if (process.stdin.isTTY) {
    const first = await ask("New password: ");
    const second = await ask("Repeat it: ");
    if (first !== second) {
      process.stderr.write("the passwords differ; nothing changed\n");
      return undefined;
    }
    return { password: first, generated: false };
  }
  return { password: randomPassword(), generated: true };
}

function parseRole(text: string | undefined): Role | undefined {
  return ROLES.find((r) => r === text);
}

export const userCommand: CliCommand = {
  name: "user",
  summary: "manage local users of the gateway (add, passwd, role, keys, del, list)",
  usage: USAGE,
  async run(args) {
    let parsed: ReturnType<typeof parse>;
    const parse = (a: string[]) =>
      parseArgs({
        args: a,
        allowPositionals: true,
        options: {
          config: { type: "string", short: "c" },
          role: { type: "string", short: "r" },
          key: { type: "string", multiple: true },
          "password-stdin": { type: "boolean" },
          "must-change": { type: "boolean" },
        },
      });
    try {
      parsed = parse(args);
    } catch (error) {
      process.stderr.write(`${(error as Error).message}\nusage: ${USAGE}\n`);
      return EXIT.usage;
    }
    const { values, positionals } = parsed;
    const [action, name, extra] = positionals;
    if (!action || (action !== "list" && !name)) {
      process.stderr.write(`usage: ${USAGE}\n`);
      return EXIT.usage;
    }
    const config = loadConfigOrReport(configPath(values.config));
    if (!config) return EXIT.config;
    const store = new LocalUserStore(
      resolve(config.storage.path),
      config.auth.local.file,
      config.auth.local.minPasswordLength,
    );
    const user = name ?? "";
    try {
      switch (action) {
        case "list": {
          const users = await store.list();
          if (users.length === 0) process.stdout.write(`no local users in ${store.file}\n`);
          for (const u of users)
            process.stdout.write(
              `${u.name.padEnd(20)} ${u.roles.join(",").padEnd(10)}${u.mustChangePassword ? " must-change" : ""}${u.keys.map((k) => `\n  key ${k}`).join("")}\n`,
            );
          return EXIT.ok;
        }
        case "add": {
          const role = parseRole(values.role ?? "viewer");
          if (!role) {
            process.stderr.write(`unknown role ${values.role}; use one of ${ROLES.join(", ")}\n`);
            return EXIT.usage;
          }
          const secret = await obtainPassword(Boolean(values["password-stdin"]));
          if (!secret) return EXIT.failure;
          await store.add(user, secret.password, [role], {
            mustChangePassword: Boolean(values["must-change"]) || secret.generated,
            keys: values.key ?? [],
          });
          process.stdout.write(`added ${user} (${role})\n`);
          if (secret.generated) process.stdout.write(`one-time password (shown once): ${secret.password}\n`);
          return EXIT.ok;
        }
        case "passwd": {
          const secret = await obtainPassword(Boolean(values["password-stdin"]));
          if (!secret) return EXIT.failure;
          await store.setPassword(user, secret.password, Boolean(values["must-change"]) || secret.generated);
          process.stdout.write(`password of ${user} changed\n`);
          if (secret.generated) process.stdout.write(`one-time password (shown once): ${secret.password}\n`);
          return EXIT.ok;
        }
        case "role": {
          const role = parseRole(extra);
          if (!role) {
            process.stderr.write(`usage: bmsgw user role NAME ${ROLES.join("|")}\n`);
            return EXIT.usage;
          }
          await store.setRoles(user, [role]);
          process.stdout.write(`${user} is now ${role}\n`);
          return EXIT.ok;
        }
        case "keys": {
          const info = await store.setKeys(user, values.key ?? []);
          process.stdout.write(`${user} has ${info.keys.length} SSH key(s)\n`);
          return EXIT.ok;
        }
        case "del":
          await store.delete(user);
          process.stdout.write(`deleted ${user}\n`);
          return EXIT.ok;
        default:
          process.stderr.write(`unknown user command ${action}\nusage: ${USAGE}\n`);
          return EXIT.usage;
      }
    } catch (error) {
      if (error instanceof UserAdminError) {
        process.stderr.write(`${error.message} (${error.code})\n`);
        return EXIT.failure;
      }
      throw error;
    }
  },
};
