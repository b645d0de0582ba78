import { describe, expect, test } from "bun:test";
import { createPolicyHeaderCache, policyHeaderOf, rateLimitWindows } from "../../src/http/rate-limit";
import type { PolicyState } from "../../src/ratelimit/decision";
import type { PolicyName } from "../../src/ratelimit/policies";
import { testConfig } from "../helpers/app";

const windows = rateLimitWindows(
  testConfig({
    RATE_LIMIT_WINDOW_MS: "60000",
    RATE_LIMIT_SEARCH_WINDOW_MS: "1500",
    RATE_LIMIT_AI_WINDOW_MS: "3600000",
  }),
);

function state(name: PolicyName, limit: number): PolicyState {
  return { name, limit, remaining: limit - 1, resetAt: 1_800_000_000, resetIn: 60 };
}

describe("RateLimit-Policy kept per set of policies", () => {
  test("is the text built from the policies, for one, two and three policies, in their order", () => {
    const kept = createPolicyHeaderCache(windows);
    const sets = [
      [state("general", 100)],
      [state("general", 100), state("search", 30)],
      [state("search", 30), state("general", 100)],
      [state("general", 100), state("ai", 5)],
      [state("general", 100), state("search", 30), state("ai", 5)],
    ];
    for (let round = 0; round < 2; round++) {
      for (const policies of sets) expect(kept(policies)).toBe(policyHeaderOf(policies, windows));
    }
    expect(kept(sets[1] as PolicyState[])).toBe('"general";q=100;w=60, "search";q=30;w=2');
  });

  test("follows a policy's limit when it changes (another limiter's configuration)", () => {
    const kept = createPolicyHeaderCache(windows);
    expect(kept([state("general", 100)])).toBe('"general";q=100;w=60');
    expect(kept([state("general", 7)])).toBe('"general";q=7;w=60');
    expect(kept([state("general", 100), state("search", 30)])).toBe('"general";q=100;w=60, "search";q=30;w=2');
    expect(kept([state("general", 100), state("search", 9)])).toBe('"general";q=100;w=60, "search";q=9;w=2');
  });
});
