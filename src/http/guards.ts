import { Elysia } from "elysia";
import type { Config } from "../config";
import type { Authenticator } from "../modules/auth/authenticator";
import { authGuard } from "../modules/auth/guard";
import type { RateLimiter } from "../ratelimit/limiter";
import { rateLimitPlugin } from "./rate-limit";

/**
 * The route options every feature module may use: `auth` (role) and `rateLimit` (policy).
 * Built once per app and `.use()`d by each module so the macros are typed there.
 */
export function createGuards(deps: { authenticator: Authenticator; limiter?: RateLimiter; config: Config }) {
  return new Elysia({ name: "guards" })
    .use(authGuard(deps.authenticator))
    .use(rateLimitPlugin(deps.limiter, deps.config));
}

export type Guards = ReturnType<typeof createGuards>;
