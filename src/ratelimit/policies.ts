import type { Config, PolicyName } from "../config";

export type { PolicyName } from "../config";

/** Every policy, in the order headers list them. */
export const policyNames: readonly PolicyName[] = ["general", "auth", "search", "email", "ai"];

export interface Policy {
  name: PolicyName;
  max: number;
  windowMs: number;
}

/** The configured limits (RATE_LIMIT_MAX / RATE_LIMIT_<POLICY>_MAX and their _WINDOW_MS). */
export function policiesFrom(config: Pick<Config, "rateLimits">): Record<PolicyName, Policy> {
  const entries = policyNames.map((name) => [name, { name, ...config.rateLimits[name] }] as const);
  return Object.fromEntries(entries) as Record<PolicyName, Policy>;
}

/** A window in whole seconds, as RateLimit-Policy's `w` must be (sub-second precision is not allowed). */
export function windowSeconds(policy: Pick<Policy, "windowMs">): number {
  return Math.max(1, Math.ceil(policy.windowMs / 1000));
}
