import type { Action, Principal, Role } from "../core/adapter.js";

/** The one table of who may do what. Roles are cumulative: operator includes viewer, admin includes both. */
const REQUIRED_ROLE: Record<Action, Role> = {
  read: "viewer",
  "alarm.acknowledge": "operator",
  measure: "operator",
  equalize: "operator",
  "output.override": "admin",
  "simulator.control": "operator",
  "config.write": "admin",
  "users.manage": "admin",
};

const RANK: Record<Role, number> = { viewer: 1, operator: 2, admin: 3 };

export function authorize(principal: Principal, action: Action): boolean {
  const needed = RANK[REQUIRED_ROLE[action]];
  return principal.roles.some((r) => RANK[r] >= needed);
}
