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
  const policyHeader = createPolicyHeaderCache(rateLimitWindows(config));
  return async (request: Request, headers: Record<string, unknown>, policy: PolicyName): Promise<void> => {
    const state = requestState(request);
    if (!state || !limiter) return;
    const counted = state.rateLimits;
    if (counted && isCounted(counted, policy)) return;
    // The first hook counts general and its own policy together; a later one only its own.
    const pending = counted ? alone[policy] : withGeneral[policy];
    state.rateLimits = counted ?? [];

    const decision = await limiter.consume(rateLimitKey(state), pending);
    const before = state.rateLimits;
    const all = before.length === 0 ? decision.policies : [...before, ...decision.policies];
    state.rateLimits = all;
    const top = all === decision.policies ? decision.tightest : (tightest(all) as PolicyState);
    writeRateLimitHeaders(headers, all, top, policyHeader(all));
    if (!decision.allowed) {
      options.onRefused?.(decision.tightest.name);
      const wait = decision.tightest.retryAfter ?? 1;
      throw httpError(429, tooManyRequests, { headers: { "retry-after": String(wait) } });
    }
  };
}

/** The policies a hook counts, made once: a policy by itself, or general and the policy. */
const alone = policyLists((name) => [name]);
const withGeneral = policyLists((name) => (name === "general" ? [name] : ["general", name]));

function policyLists(list: (name: PolicyName) => PolicyName[]): Record<PolicyName, readonly PolicyName[]> {
  return Object.fromEntries(policyNames.map((name) => [name, Object.freeze(list(name))])) as Record<
    PolicyName,
    readonly PolicyName[]
  >;
}

function isCounted(counted: readonly PolicyState[], policy: PolicyName): boolean {
  for (const entry of counted) if (entry.name === policy) return true;
  return false;
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
  const headers: Record<string, string> = {};
  writeRateLimitHeaders(headers, policies, top, policyHeaderOf(policies, windows));
  return headers;
}

/** rateLimitHeaders' fields set on `headers`, in the same order, with RateLimit-Policy's value given. */
export function writeRateLimitHeaders(
  headers: Record<string, unknown>,
  policies: readonly PolicyState[],
  top: PolicyState,
  policyHeader: string,
): void {
  headers["x-ratelimit-limit"] = String(top.limit);
  headers["x-ratelimit-remaining"] = String(top.remaining);
  headers["x-ratelimit-reset"] = String(top.resetAt);
  headers["ratelimit-policy"] = policyHeader;
  let ratelimit = "";
  for (let i = 0; i < policies.length; i++) {
    const p = policies[i] as PolicyState;
    ratelimit += `${i === 0 ? "" : ", "}"${p.name}";r=${p.remaining};t=${p.resetIn}`;
  }
  headers.ratelimit = ratelimit;
}

/** RateLimit-Policy: each policy's quota and window. */
export function policyHeaderOf(policies: readonly PolicyState[], windows: RateLimitWindows): string {
  return policies.map((p) => `"${p.name}";q=${p.limit};w=${windows[p.name]}`).join(", ");
}

/**
 * policyHeaderOf for one set of windows, kept per policy and per pair of policies: the value
 * changes only with the policies that applied and their limits, not from request to request.
 */
export function createPolicyHeaderCache(windows: RateLimitWindows) {
  interface Kept {
    limits: [number, number];
    text: string;
  }
  const kept = new Map<PolicyName, Map<PolicyName | undefined, Kept>>();
  return (policies: readonly PolicyState[]): string => {
    if (policies.length === 0 || policies.length > 2) return policyHeaderOf(policies, windows);
    const first = policies[0] as PolicyState;
    const second = policies[1];
    let byFirst = kept.get(first.name);
    if (!byFirst) {
      byFirst = new Map();
      kept.set(first.name, byFirst);
    }
    const found = byFirst.get(second?.name);
    const secondLimit = second ? second.limit : 0;
    if (found && found.limits[0] === first.limit && found.limits[1] === secondLimit) return found.text;
    const text = policyHeaderOf(policies, windows);
    byFirst.set(second?.name, { limits: [first.limit, secondLimit], text });
    return text;
  };
}
