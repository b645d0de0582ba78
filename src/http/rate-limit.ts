import { Elysia } from "elysia";
import type { Config } from "../config";
import { rateLimitKey } from "../ratelimit/client-key";
import { type PolicyState, tightest } from "../ratelimit/decision";
import type { RateLimiter } from "../ratelimit/limiter";
import { type PolicyName, policyNames, windowSeconds } from "../ratelimit/policies";
import { httpError } from "./errors";
import { requestState } from "./request-state";

export const tooManyRequests = "Too many requests, please try again later";

export interface RateLimitPluginOptions {
  /** Called once for every 429, with the policy that refused (metrics). */
  onRefused?: (policy: PolicyName) => void;
}

/**
 * The `rateLimit` route option. `/api/v1` is guarded with `{ rateLimit: "general" }` and a route
 * adds its own (`{ rateLimit: "search" }`), so a route can carry two of these hooks, in either
 * order. Whichever runs first counts general and its own policy in one store call and notes them
 * in the request state; a later one counts only what is not counted yet. It runs as beforeHandle,
 * after auth's resolve, so a signed-in caller is counted as itself rather than as its address.
 * Without a limiter (an app built for a test that is not about limits) the option does nothing;
 * server.ts always passes one.
 */
export function rateLimitPlugin(
  limiter: RateLimiter | undefined,
  config: Config,
  options: RateLimitPluginOptions = {},
) {
  const count = createLimitCounter(limiter, config, options);
  return new Elysia({ name: "rate-limit" }).macro({
    rateLimit: (policy: PolicyName) => ({
      // transform, like auth (which runs first): a refused or invalid request is counted and
      // carries the headers before validation can answer 422.
      transform: ({ request, set }) => count(request, set.headers, policy),
    }),
  });
}

export type LimitCounter = ReturnType<typeof createLimitCounter>;

/**
 * Counts one request against `policy` (and general, if not counted yet), sets the headers, and
 * throws 429 when a policy is exhausted. Also used by the auth guard, so that requests refused
 * with 401/403 are counted and carry the headers too: bad tokens cannot be tried unlimited.
 */
export function createLimitCounter(limiter: RateLimiter | undefined, config: Config, options: RateLimitPluginOptions) {
  const windows = rateLimitWindows(config);
  return async (request: Request, headers: Record<string, unknown>, policy: PolicyName): Promise<void> => {
    const state = requestState(request);
    if (!state || !limiter) return;
    const counted = state.rateLimits;
    const wanted: PolicyName[] = counted || policy === "general" ? [policy] : ["general", policy];
    const pending = wanted.filter((name) => !counted?.some((entry) => entry.name === name));
    if (pending.length === 0) return;
    state.rateLimits = counted ?? [];

    const decision = await limiter.consume(rateLimitKey(state), pending);
    state.rateLimits = [...state.rateLimits, ...decision.policies];
    Object.assign(headers, rateLimitHeaders(state.rateLimits, windows));
    if (!decision.allowed) {
      options.onRefused?.(decision.tightest.name);
      const wait = decision.tightest.retryAfter ?? 1;
      throw httpError(429, tooManyRequests, { headers: { "retry-after": String(wait) } });
    }
  };
}

/** Each policy's window in whole seconds, as `w` advertises it. */
export type RateLimitWindows = Record<string, number>;

export function rateLimitWindows(config: Pick<Config, "rateLimits">): RateLimitWindows {
  return Object.fromEntries(policyNames.map((name) => [name, windowSeconds(config.rateLimits[name])]));
}

/**
 * X-RateLimit-* (the seed's) for the policy closest to running out, and the IETF fields
 * (draft-ietf-httpapi-ratelimit-headers-11) for every policy that applied.
 */
export function rateLimitHeaders(policies: readonly PolicyState[], windows: RateLimitWindows): Record<string, string> {
  const top = tightest(policies);
  if (!top) return {};
  return {
    "x-ratelimit-limit": String(top.limit),
    "x-ratelimit-remaining": String(top.remaining),
    "x-ratelimit-reset": String(top.resetAt),
    "ratelimit-policy": policies.map((p) => `"${p.name}";q=${p.limit};w=${windows[p.name]}`).join(", "),
    ratelimit: policies.map((p) => `"${p.name}";r=${p.remaining};t=${p.resetIn}`).join(", "),
  };
}
