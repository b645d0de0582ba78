import type { Policy, PolicyName } from "./policies";
import type { CounterState } from "./store";

/** What one policy says about one request. */
export interface PolicyState {
  name: PolicyName;
  limit: number;
  remaining: number;
  /** End of the window, unix seconds, rounded up so that it is never before the real end. */
  resetAt: number;
  /** Whole seconds until the window ends, rounded up. */
  resetIn: number;
  /** Only on a policy that refused the request: whole seconds to wait, at least 1. */
  retryAfter?: number;
}

export interface RateDecision {
  allowed: boolean;
  policies: PolicyState[];
  /** The entry closest to running out: the one to show in X-RateLimit-* and Retry-After. */
  tightest: PolicyState;
}

export function policyState(policy: Policy, state: CounterState, allowed: boolean, now: number): PolicyState {
  return policyStateOf(policy, state.count, state.resetAtMs, allowed, now);
}

/** policyState from the count and the window's end themselves (no CounterState to build first). */
export function policyStateOf(
  policy: Policy,
  count: number,
  resetAtMs: number,
  allowed: boolean,
  now: number,
): PolicyState {
  const resetIn = Math.max(0, Math.ceil((resetAtMs - now) / 1000));
  const entry: PolicyState = {
    name: policy.name,
    limit: policy.max,
    remaining: Math.max(0, policy.max - count),
    resetAt: Math.ceil(resetAtMs / 1000),
    resetIn,
  };
  if (!allowed && count >= policy.max) entry.retryAfter = Math.max(1, resetIn);
  return entry;
}

export function decision(allowed: boolean, policies: PolicyState[]): RateDecision {
  const first = policies[0];
  if (!first) throw new Error("a rate-limit decision needs at least one policy");
  return { allowed, policies, tightest: tightest(policies) as PolicyState };
}

/**
 * A refusing policy with the longest wait wins; otherwise the fewest requests left, and among
 * equals the window that ends last (the longer a client would be stuck).
 */
export function tightest(policies: readonly PolicyState[]): PolicyState | undefined {
  let best: PolicyState | undefined;
  for (const entry of policies) {
    if (!best || rank(entry, best) < 0) best = entry;
  }
  return best;
}

function rank(a: PolicyState, b: PolicyState): number {
  const refusedA = a.retryAfter !== undefined;
  const refusedB = b.retryAfter !== undefined;
  if (refusedA !== refusedB) return refusedA ? -1 : 1;
  if (refusedA) return (b.retryAfter as number) - (a.retryAfter as number);
  if (a.remaining !== b.remaining) return a.remaining - b.remaining;
  return b.resetAt - a.resetAt;
}
