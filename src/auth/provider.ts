import type { Role } from "../core/adapter.js";
import type { ProviderName } from "./config-schema.js";

/**
 * What one provider says about a login. `why` is for the audit trail and logs: it names servers and reasons,
 * never a password or secret.
 */
export type ProviderOutcome =
  | { kind: "accept"; user: string; roles: Role[]; mustChangePassword?: boolean; why: string }
  /** Wrong password, disabled or locked account: final, the chain stops here. */
  | { kind: "reject"; reason: "invalid-credentials" | "locked"; why: string }
  /** The provider does not know this user name: the chain asks the next provider. */
  | { kind: "unknown-user"; why: string }
  /** The provider could not be asked: the chain asks the next provider. */
  | { kind: "unavailable"; reason: "unreachable" | "timeout"; why: string };

export interface AuthProvider {
  readonly name: ProviderName;
  authenticate(user: string, password: string): Promise<ProviderOutcome>;
}

const RANK: Record<Role, number> = { viewer: 1, operator: 2, admin: 3 };

/**
 * Maps group DNs or attribute values to roles through a case-insensitive role map (DN comparison ignores
 * spaces after commas); falls back to `defaultRole`. Returns roles highest first, without duplicates.
 */
export function mapRoles(
  values: readonly string[],
  config: { roleMap: Readonly<Record<string, Role>>; defaultRole: Role | "none" },
): Role[] {
  const normalise = (s: string) =>
    s
      .trim()
      .replace(/\s*,\s*/g, ",")
      .toLowerCase();
  const map = new Map(Object.entries(config.roleMap).map(([k, v]) => [normalise(k), v]));
  const roles = new Set<Role>();
  for (const value of values) {
    const role = map.get(normalise(value));
    if (role) roles.add(role);
  }
  if (roles.size === 0 && config.defaultRole !== "none") roles.add(config.defaultRole);
  return [...roles].sort((a, b) => RANK[b] - RANK[a]);
}
