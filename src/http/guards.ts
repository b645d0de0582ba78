import { Elysia } from "elysia";
import type { Authenticator } from "../modules/auth/authenticator";
import { authGuard } from "../modules/auth/guard";

/**
 * The route options every feature module may use: `auth` (role) and `rateLimit` (policy).
 * Built once per app and `.use()`d by each module so the macros are typed there.
 */
export function createGuards(deps: { authenticator: Authenticator }) {
  return new Elysia({ name: "guards" }).use(authGuard(deps.authenticator));
}

export type Guards = ReturnType<typeof createGuards>;
