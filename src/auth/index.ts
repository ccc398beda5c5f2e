import type { AuthService } from "../core/adapter.js";
import { authorize } from "./authorize.js";

export { authorize } from "./authorize.js";

/**
 * The gateway's auth chain. Until providers are configured nobody can log in: every attempt is refused as
 * invalid credentials, and authorization follows the role table.
 */
export function createAuthService(): AuthService {
  return {
    async authenticate() {
      return { ok: false, reason: "invalid-credentials" };
    },
    authorize,
  };
}
