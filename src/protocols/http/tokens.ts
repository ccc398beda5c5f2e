import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { z } from "zod";
import type { Principal, Role } from "../../core/adapter.js";

const ROLE = z.enum(["viewer", "operator", "admin"]);

const storedTokenSchema = z.strictObject({
  id: z.string().regex(/^[a-f0-9]{12}$/),
  name: z.string().min(1).max(64),
  role: ROLE,
  /** SHA-256 (hex) of the secret part; the secret itself is shown once at creation and never stored. */
  hash: z.string().regex(/^[a-f0-9]{64}$/),
  createdBy: z.string(),
  created: z.string(),
  expires: z.string().optional(),
});

const tokensFileSchema = z.strictObject({ version: z.literal(1), tokens: z.array(storedTokenSchema) });

export type StoredToken = z.infer<typeof storedTokenSchema>;
/** What listings show: everything but the hash. */
export type TokenInfo = Omit<StoredToken, "hash">;

const TOKEN_FORMAT = /^bmsgw_([a-f0-9]{12})\.([A-Za-z0-9_-]{43})$/;

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/**
 * API tokens for scripts: `Authorization: Bearer bmsgw_<id>.<secret>`. Each token carries one role, at most its
 * creator's. Secrets are 256 random bits, so a plain SHA-256 is enough to store them safely (no password stretching
 * needed), and checking a token costs microseconds.
 */
export class TokenStore {
  private tokens: StoredToken[] = [];

  constructor(
    readonly file: string,
    private readonly now: () => number = Date.now,
  ) {
    if (!existsSync(file)) return;
    const parsed = tokensFileSchema.safeParse(JSON.parse(readFileSync(file, "utf8")));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(
        `E_HTTP_TOKENS_FILE: ${file} is damaged at ${issue?.path.join(".") || "(root)"}: ${issue?.message}; fix or delete it (all API tokens are then revoked)`,
      );
    }
    this.tokens = parsed.data.tokens;
  }

  list(): TokenInfo[] {
    return this.tokens.map(({ hash: _hash, ...info }) => info);
  }

  create(name: string, role: Role, createdBy: string, expiresInDays?: number): { token: string; info: TokenInfo } {
    const id = randomBytes(6).toString("hex");
    const secret = randomBytes(32).toString("base64url");
    const stored: StoredToken = {
      id,
      name,
      role,
      hash: sha256(secret),
      createdBy,
      created: new Date(this.now()).toISOString(),
      ...(expiresInDays ? { expires: new Date(this.now() + expiresInDays * 86_400_000).toISOString() } : {}),
    };
    this.tokens.push(stored);
    this.save();
    const { hash: _hash, ...info } = stored;
    return { token: `bmsgw_${id}.${secret}`, info };
  }

  delete(id: string): boolean {
    const before = this.tokens.length;
    this.tokens = this.tokens.filter((t) => t.id !== id);
    if (this.tokens.length === before) return false;
    this.save();
    return true;
  }

  /** The principal a bearer token stands for, or undefined when it is unknown, malformed or expired. */
  verify(bearer: string): Principal | undefined {
    const match = TOKEN_FORMAT.exec(bearer);
    if (!match) return undefined;
    const token = this.tokens.find((t) => t.id === match[1]);
    if (!token) return undefined;
    const offered = Buffer.from(sha256(match[2] ?? ""), "hex");
    if (!timingSafeEqual(offered, Buffer.from(token.hash, "hex"))) return undefined;
    if (token.expires && Date.parse(token.expires) <= this.now()) return undefined;
    return { user: `token:${token.name}`, roles: [token.role], source: "token" };
  }

  private save(): void {
    mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
    const temporary = `${this.file}.${process.pid}.tmp`;
    writeFileSync(temporary, `${JSON.stringify({ version: 1, tokens: this.tokens }, null, 2)}\n`, { mode: 0o600 });
    chmodSync(temporary, 0o600);
    renameSync(temporary, this.file);
  }
}
