import { Elysia } from "elysia";
import type { Config } from "../config";
import type { Authenticator } from "../modules/auth/authenticator";
import { authGuard } from "../modules/auth/guard";
import type { Metrics } from "../observability/metrics";
import type { RateLimiter } from "../ratelimit/limiter";
import { createLimitCounter, rateLimitPlugin } from "./rate-limit";
import { errorEnvelopeSchema } from "./schemas";

/**
 * The errors any /api/v1 route can answer with, whatever its own schemas say: a bad Host (400), a
 * refused parameter or body (422), a rate limit (429), a failure of ours (500) or of a dependency
 * (503); the `auth` option adds 401 and 403. The error handler writes them; declaring them puts
 * them, as the envelope, into the route types that typed clients (Eden Treaty) read, in place of
 * Elysia's own validation shape for 422. The document lists them per route (docs/operations.ts).
 * No cost per request: error responses are not validated.
 */
const apiErrors = {
  400: errorEnvelopeSchema,
  422: errorEnvelopeSchema,
  429: errorEnvelopeSchema,
  500: errorEnvelopeSchema,
  503: errorEnvelopeSchema,
};

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
  const validate = deps.config.validateResponses;
  const count = createLimitCounter(deps.limiter, deps.config, { onRefused });
  const plugin = new Elysia({ name: "guards" })
    .use(authGuard(deps.authenticator, (request, headers) => count(request, headers, "general")))
    .use(rateLimitPlugin(deps.limiter, deps.config, { onRefused }))
    .guard({ as: "scoped", response: apiErrors });
  return Object.assign(plugin, {
    /**
     * A route's `response` schemas, as given where responses are validated (development, tests,
     * any server that serves /docs), and none in production: Elysia checks and strips every
     * success body against them, about 100 µs of CPU on a 20-prospect page (docs/performance.md).
     * Typed as given either way, so handlers and typed clients see the same types everywhere.
     */
    responses: <T>(schemas: T): T => (validate ? schemas : (undefined as T)),
  });
}

export type Guards = ReturnType<typeof createGuards>;
