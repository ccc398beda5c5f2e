import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Principal } from "../../core/adapter.js";

export interface Session {
  /** Only the SHA-256 of the cookie value is kept, so a heap dump does not leak live session ids. */
  readonly idHash: string;
  principal: Principal;
  /** Synchronizer token: state-changing requests must echo it in the X-CSRF-Token header. */
  readonly csrfToken: string;
  readonly createdAt: number;
  lastSeen: number;
  readonly remoteAddress: string;
}

const hashId = (id: string) => createHash("sha256").update(id).digest("base64url");

/** Equal-time comparison of two strings (CSRF tokens). */
export function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * Login sessions in memory (a restart logs everybody out, which is the safe side). A session ends when unused for
 * `idleTimeout` or `maxAge` after login; the oldest is dropped when `maxSessions` would be exceeded.
 */
export class SessionStore {
  private readonly sessions = new Map<string, Session>();

  constructor(
    private readonly options: { idleTimeout: number; maxAge: number; maxSessions: number },
    private readonly now: () => number = Date.now,
  ) {}

  create(principal: Principal, remoteAddress: string): { id: string; session: Session } {
    this.sweep();
    while (this.sessions.size >= this.options.maxSessions) {
      const oldest = this.sessions.keys().next().value;
      if (oldest === undefined) break;
      this.sessions.delete(oldest);
    }
    const id = randomBytes(32).toString("base64url");
    const at = this.now();
    const session: Session = {
      idHash: hashId(id),
      principal,
      csrfToken: randomBytes(24).toString("base64url"),
      createdAt: at,
      lastSeen: at,
      remoteAddress,
    };
    this.sessions.set(session.idHash, session);
    return { id, session };
  }

  /** The live session for a cookie value, refreshing its idle timer; undefined when unknown or expired. */
  get(id: string): Session | undefined {
    const key = hashId(id);
    const session = this.sessions.get(key);
    if (!session) return undefined;
    const at = this.now();
    if (this.expired(session, at)) {
      this.sessions.delete(key);
      return undefined;
    }
    session.lastSeen = at;
    return session;
  }

  delete(session: Session): void {
    this.sessions.delete(session.idHash);
  }

  /** Ends every session of `user` except `keep` (password changed, user deleted). */
  endUser(user: string, keep?: Session): void {
    for (const [key, s] of this.sessions) if (s.principal.user === user && s !== keep) this.sessions.delete(key);
  }

  get size(): number {
    return this.sessions.size;
  }

  private expired(session: Session, at: number): boolean {
    const { idleTimeout, maxAge } = this.options;
    return (idleTimeout > 0 && at - session.lastSeen > idleTimeout) || (maxAge > 0 && at - session.createdAt > maxAge);
  }

  private sweep(): void {
    const at = this.now();
    for (const [key, s] of this.sessions) if (this.expired(s, at)) this.sessions.delete(key);
  }
}
