import { createHash, randomBytes, randomUUID } from "node:crypto";
import { chmod, mkdir, open, readFile, rename, unlink } from "node:fs/promises";
import { dirname, isAbsolute, resolve } from "node:path";
import { hash, verify } from "@node-rs/argon2";
import { z } from "zod";
import type { Role } from "../core/adapter.js";
import { ROLES } from "./config-schema.js";

/** Thrown for operator mistakes in user management (unknown user, weak password, bad key); message says what to do. */
export class UserAdminError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "UserAdminError";
  }
}

export const USER_NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

const SSH_KEY_TYPES = new Set([
  "ssh-ed25519",
  "ssh-rsa",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521",
  "sk-ssh-ed25519@openssh.com",
  "sk-ecdsa-sha2-nistp256@openssh.com",
]);

const storedUserSchema = z.strictObject({
  name: z.string().regex(USER_NAME),
  hash: z.string().startsWith("$argon2id$"),
  roles: z.array(z.enum(ROLES)).min(1),
  mustChangePassword: z.boolean().default(false),
  keys: z.array(z.string()).default([]),
  created: z.string(),
  updated: z.string(),
});

const usersFileSchema = z.strictObject({ version: z.literal(1), users: z.array(storedUserSchema) });

export type StoredUser = z.output<typeof storedUserSchema>;

/** What user listings show: never the hash. */
export interface UserInfo {
  readonly name: string;
  readonly roles: readonly Role[];
  readonly mustChangePassword: boolean;
  /** SHA256 fingerprints of the user's SSH public keys, as `ssh-keygen -l` prints them. */
  readonly keys: readonly string[];
}

/** Parses an OpenSSH public key line (`type base64 [comment]`) into its canonical `type base64` form. */
export function parseSshPublicKey(text: string): { type: string; blob: Buffer; canonical: string } | undefined {
  const [type, data] = text.trim().split(/\s+/);
  if (!type || !data || !SSH_KEY_TYPES.has(type) || !/^[A-Za-z0-9+/]+={0,2}$/.test(data)) return undefined;
  const blob = Buffer.from(data, "base64");
  // The blob starts with the key type again (uint32 length + name); a mismatch means a damaged or spoofed line.
  if (blob.length < 4) return undefined;
  const nameLength = blob.readUInt32BE(0);
  if (blob.subarray(4, 4 + nameLength).toString("latin1") !== type) return undefined;
  return { type, blob, canonical: `${type} ${data}` };
}

export function sshFingerprint(canonical: string): string {
  const parsed = parseSshPublicKey(canonical);
  if (!parsed) return "invalid";
  return `SHA256:${createHash("sha256").update(parsed.blob).digest("base64").replace(/=+$/, "")}`;
}

/** A random password for first start and resets: 20 characters of an unambiguous alphabet (~115 bits). */
export function randomPassword(): string {
  const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
  const bytes = randomBytes(40);
  let out = "";
  for (const b of bytes) {
    // 57 symbols: accept only bytes below 228 (= 4 * 57) so every symbol is equally likely.
    if (b < 228) out += alphabet[b % alphabet.length];
    if (out.length === 20) break;
  }
  return out.length === 20 ? out : randomPassword();
}

// OWASP's argon2id recommendation (19 MiB, 2 iterations, 1 lane).
const ARGON2 = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

let argon2Queue: Promise<unknown> = Promise.resolve();
/**
 * Runs argon2 work one at a time. Each hash holds 19 MiB; ten logins at once (bench/plant's SSH and web clients)
 * ran four of them on the libuv threads together and lifted the gateway's peak RSS by ~60 MB. A login flood now
 * queues (~40 ms each) instead of taking memory.
 */
function oneAtATime<T>(work: () => Promise<T>): Promise<T> {
  const result = argon2Queue.then(work, work);
  argon2Queue = result.catch(() => undefined);
  return result;
}
const hashPassword = (password: string) => oneAtATime(() => hash(password, ARGON2));
const verifyPassword = (stored: string, password: string) =>
  oneAtATime(() => verify(stored, password)).catch(() => false);

/**
 * The local users file: argon2id hashes, roles, must-change flag and SSH keys. Read on every use (so
 * `bmsgw user …` changes apply to a running gateway at once) and written atomically with mode 0600.
 */
export class LocalUserStore {
  readonly file: string;
  // A hash to verify against when the user does not exist, so timing does not reveal which names exist.
  private dummyHash: Promise<string> | undefined;

  constructor(
    storagePath: string,
    file: string,
    private readonly minPasswordLength = 10,
  ) {
    this.file = isAbsolute(file) ? file : resolve(storagePath, file);
  }

  async load(): Promise<StoredUser[]> {
    let text: string;
    try {
      text = await readFile(this.file, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw error;
    }
    const parsed = usersFileSchema.safeParse(JSON.parse(text));
    if (!parsed.success)
      throw new UserAdminError(
        "E_AUTH_USERS_FILE",
        `auth: users file ${this.file} is invalid (${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}); restore it from a backup or remove it to start again with a new admin`,
      );
    return parsed.data.users;
  }

  private async save(users: readonly StoredUser[]): Promise<void> {
    await mkdir(dirname(this.file), { recursive: true, mode: 0o700 });
    const temp = resolve(dirname(this.file), `.${randomUUID()}.tmp`);
    const handle = await open(temp, "wx", 0o600);
    try {
      await handle.writeFile(`${JSON.stringify({ version: 1, users }, null, 2)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await chmod(temp, 0o600);
      await rename(temp, this.file);
    } catch (error) {
      await unlink(temp).catch(() => undefined);
      throw error;
    }
  }

  /** Verifies a password; undefined when the user does not exist (after spending the same time). */
  async verify(name: string, password: string): Promise<{ user: StoredUser; ok: boolean } | undefined> {
    const user = (await this.load()).find((u) => u.name === name);
    if (!user) {
      this.dummyHash ??= hashPassword(randomPassword());
      await verifyPassword(await this.dummyHash, password);
      return undefined;
    }
    return { user, ok: await verifyPassword(user.hash, password) };
  }

  async find(name: string): Promise<StoredUser | undefined> {
    return (await this.load()).find((u) => u.name === name);
  }

  async list(): Promise<UserInfo[]> {
    return (await this.load()).map(info);
  }

  private checkPassword(password: string): void {
    if (password.length < this.minPasswordLength)
      throw new UserAdminError(
        "E_AUTH_WEAK_PASSWORD",
        `auth: the password needs at least ${this.minPasswordLength} characters`,
      );
  }

  async add(
    name: string,
    password: string,
    roles: readonly Role[],
    options: { mustChangePassword?: boolean; keys?: readonly string[] } = {},
  ): Promise<UserInfo> {
    if (!USER_NAME.test(name))
      throw new UserAdminError(
        "E_AUTH_USER_NAME",
        "auth: user names are 1-64 characters: letters, digits and . _ @ - (not first)",
      );
    if (roles.length === 0) throw new UserAdminError("E_AUTH_NO_ROLE", "auth: give the user a role");
    this.checkPassword(password);
    const keys = (options.keys ?? []).map(canonicalKey);
    const users = await this.load();
    if (users.some((u) => u.name === name))
      throw new UserAdminError("E_AUTH_USER_EXISTS", `auth: user ${name} exists; use passwd to change the password`);
    const now = new Date().toISOString();
    const user: StoredUser = {
      name,
      hash: await hashPassword(password),
      roles: [...roles],
      mustChangePassword: options.mustChangePassword ?? false,
      keys,
      created: now,
      updated: now,
    };
    await this.save([...users, user]);
    return info(user);
  }

  private async update(
    name: string,
    change: (user: StoredUser) => StoredUser | Promise<StoredUser>,
  ): Promise<UserInfo> {
    const users = await this.load();
    const index = users.findIndex((u) => u.name === name);
    const current = users[index];
    if (!current) throw new UserAdminError("E_AUTH_NO_USER", `auth: there is no local user ${name}`);
    const next = { ...(await change(current)), updated: new Date().toISOString() };
    users[index] = next;
    await this.save(users);
    return info(next);
  }

  setPassword(name: string, password: string, mustChangePassword = false): Promise<UserInfo> {
    this.checkPassword(password);
    return this.update(name, async (u) => ({ ...u, hash: await hashPassword(password), mustChangePassword }));
  }

  setRoles(name: string, roles: readonly Role[]): Promise<UserInfo> {
    if (roles.length === 0) throw new UserAdminError("E_AUTH_NO_ROLE", "auth: give the user a role");
    return this.update(name, (u) => ({ ...u, roles: [...roles] }));
  }

  setKeys(name: string, keys: readonly string[]): Promise<UserInfo> {
    const canonical = keys.map(canonicalKey);
    return this.update(name, (u) => ({ ...u, keys: canonical }));
  }

  async delete(name: string): Promise<void> {
    const users = await this.load();
    const remaining = users.filter((u) => u.name !== name);
    if (remaining.length === users.length)
      throw new UserAdminError("E_AUTH_NO_USER", `auth: there is no local user ${name}`);
    if (
      users.some((u) => u.name === name && u.roles.includes("admin")) &&
      !remaining.some((u) => u.roles.includes("admin"))
    )
      throw new UserAdminError("E_AUTH_LAST_ADMIN", `auth: ${name} is the last admin; add another admin first`);
    await this.save(remaining);
  }

  /**
   * First start: when the file holds no users, creates `admin` with a random password flagged must-change and
   * returns that password (the caller shows it once); otherwise returns undefined.
   */
  async ensureInitialAdmin(): Promise<string | undefined> {
    if ((await this.load()).length > 0) return undefined;
    const password = randomPassword();
    await this.add("admin", password, ["admin"], { mustChangePassword: true });
    return password;
  }
}

function canonicalKey(text: string): string {
  const parsed = parseSshPublicKey(text);
  if (!parsed)
    throw new UserAdminError(
      "E_AUTH_SSH_KEY",
      "auth: not an OpenSSH public key; paste one line such as `ssh-ed25519 AAAA… comment` (from the .pub file)",
    );
  return parsed.canonical;
}

function info(user: StoredUser): UserInfo {
  return {
    name: user.name,
    roles: user.roles,
    mustChangePassword: user.mustChangePassword,
    keys: user.keys.map(sshFingerprint),
  };
}
