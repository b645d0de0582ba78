import { Elysia } from "elysia";
import type { Config } from "../config";
import type { Authenticator } from "../modules/auth/authenticator";
import { authGuard } from "../modules/auth/guard";
import type { Metrics } from "../observability/metrics";
import type { RateLimiter } from "../ratelimit/limiter";
import { createLimitCounter, rateLimitPlugin } from "./rate-limit";

/**
 * The route options every feature module may use: `auth` (role) and `rateLimit` (policy).
 * Built once per app and `.use()`d by each module so the macros are typed there.
 */
export function createGuards(deps: {
  authenticator: Authenticator;
  limiter?: RateLimiter;
  config: Config;
  metrics?: Metrics;
}) {
  const onRefused = (policy: string) => deps.metrics?.rateLimitRejections.inc({ policy });
  const count = createLimitCounter(deps.limiter, deps.config, { onRefused });
  return new Elysia({ name: "guards" })
    .use(authGuard(deps.authenticator, (request, headers) => count(request, headers, "general")))
    .use(rateLimitPlugin(deps.limiter, deps.config, { onRefused }));
}

export type Guards = ReturnType<typeof createGuards>;
