import type { LockoutConfig } from "./config-schema.js";

interface Record {
  failures: number[];
  lockedUntil: number;
  locks: number;
  last: number;
}

/**
 * Per-user and per-address lockout with exponential back-off: after `maxFailures` wrong passwords within
 * `window`, the user is locked for `lockFor`, then twice as long at the next lock, up to `maxLockFor`.
 * Addresses work the same with their own threshold. A success clears the user's record.
 */
export class Lockout {
  private readonly users = new Map<string, Record>();
  private readonly addresses = new Map<string, Record>();

  constructor(
    private readonly config: LockoutConfig,
    private readonly now: () => number = Date.now,
  ) {}

  /** The lock in force, if any: which scope and until when (ms since epoch). */
  locked(userKey: string, address: string): { scope: "user" | "address"; until: number } | undefined {
    const t = this.now();
    const user = this.users.get(userKey);
    if (user && user.lockedUntil > t) return { scope: "user", until: user.lockedUntil };
    const byAddress = this.addresses.get(address);
    if (byAddress && byAddress.lockedUntil > t) return { scope: "address", until: byAddress.lockedUntil };
    return undefined;
  }

  failure(userKey: string, address: string): void {
    this.bump(this.users, userKey, this.config.maxFailures);
    this.bump(this.addresses, address, this.config.maxFailuresPerAddress);
    this.prune();
  }

  success(userKey: string): void {
    this.users.delete(userKey);
  }

  private bump(map: Map<string, Record>, key: string, max: number): void {
    const t = this.now();
    let record = map.get(key);
    // Back-off is forgotten once the user has stayed quiet for the longest lock.
    if (record && t - record.last > this.config.maxLockFor + this.config.window) record = undefined;
    record ??= { failures: [], lockedUntil: 0, locks: 0, last: t };
    record.failures = record.failures.filter((at) => t - at < this.config.window);
    record.failures.push(t);
    record.last = t;
    if (record.failures.length >= max) {
      record.locks++;
      record.lockedUntil = t + Math.min(this.config.lockFor * 2 ** (record.locks - 1), this.config.maxLockFor);
      record.failures = [];
    }
    map.set(key, record);
  }

  /** Keeps memory bounded under a spray of names or addresses. */
  private prune(): void {
    const t = this.now();
    for (const map of [this.users, this.addresses]) {
      if (map.size < 10_000) continue;
      for (const [key, record] of map)
        if (record.lockedUntil < t && t - record.last > this.config.window) map.delete(key);
    }
  }
}
