import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type Redis from "ioredis";
import { createMemoryLogger } from "../../src/observability/logger";
import { createRateLimiter, type RateLimiter } from "../../src/ratelimit/limiter";
import type { RedisConnection } from "../../src/redis/client";
import { testConfig } from "../helpers/app";
import { adminRedis, counterConnection, deleteKeys, redisAvailable, testPrefix } from "./support";

/** Busy keys, as one server instance after another sees them, on the real Redis. */
describe.skipIf(!redisAvailable)("leased quotas for busy keys", () => {
  const prefix = testPrefix();
  let admin: Redis;
  const connections: RedisConnection[] = [];
  const limiters: RateLimiter[] = [];

  async function instance(env: Record<string, string>): Promise<RateLimiter> {
    const redis = await counterConnection();
    connections.push(redis);
    const limiter = createRateLimiter({ config: testConfig(env), redis, logger: createMemoryLogger(), prefix });
    limiters.push(limiter);
    return limiter;
  }

  /** Script calls Redis received for `key` while `run` ran (commands scripts run themselves left out). */
  async function scriptCallsDuring(key: string, run: () => Promise<void>): Promise<number> {
    const monitor = await admin.duplicate().monitor();
    let calls = 0;
    monitor.on("monitor", (_time: string, args: string[], source: string) => {
      if (source !== "lua" && /^eval/i.test(args[0] ?? "") && args.some((a) => a.includes(key))) calls++;
    });
    await Bun.sleep(50);
    await run();
    await Bun.sleep(100);
    monitor.disconnect();
    return calls;
  }

  beforeAll(() => {
    admin = adminRedis();
  });
  afterAll(async () => {
    await Promise.all(limiters.map((l) => l.close()));
    for (const connection of connections) connection.disconnect();
    await deleteKeys(admin, prefix);
    admin.disconnect();
  });

  test("a busy key costs Redis a call per slice, not per request", async () => {
    const limiter = await instance({ RATE_LIMIT_MAX: "1000000", RATE_LIMIT_WINDOW_MS: "60000" });
    const key = "user:busy";
    let admitted = 0;
    const calls = await scriptCallsDuring(key, async () => {
      // 2,000 requests, 20 at a time: a client far from its limit, as the bench's /me.
      for (let round = 0; round < 100; round++) {
        const decisions = await Promise.all(Array.from({ length: 20 }, () => limiter.consume(key, ["general"])));
        admitted += decisions.filter((d) => d.allowed).length;
      }
    });
    expect(admitted).toBe(2000);
    expect(calls).toBeLessThan(40);
    // Redis counted at least every admitted request (the rest is this instance's unused slice).
    const counted = Number(await admin.get(`${prefix}general:{${key}}`));
    expect(counted).toBeGreaterThanOrEqual(2000);
    expect(counted).toBeLessThanOrEqual(2000 + 10_000);
  });

  test("four instances taking turns admit exactly the limit, and each remaining count is handed out once", async () => {
    const env = { RATE_LIMIT_MAX: "400", RATE_LIMIT_WINDOW_MS: "60000" };
    const fleet = await Promise.all([1, 2, 3, 4].map(() => instance(env)));
    const key = "user:shared-busy";
    const decisions = [];
    // Bursts of 10 per instance, round after round, past the limit: leases form, then run out.
    for (let round = 0; round < 20; round++) {
      const burst = fleet.flatMap((limiter) => Array.from({ length: 10 }, () => limiter.consume(key, ["general"])));
      decisions.push(...(await Promise.all(burst)));
    }
    const allowed = decisions.filter((d) => d.allowed);
    expect(allowed).toHaveLength(400);
    const remaining = allowed.map((d) => d.tightest.remaining).sort((a, b) => a - b);
    expect(remaining).toEqual(Array.from({ length: 400 }, (_, i) => i));
    for (const refused of decisions.filter((d) => !d.allowed)) {
      expect(refused.tightest.remaining).toBe(0);
      expect(refused.tightest.retryAfter).toBeGreaterThanOrEqual(1);
    }
    expect(await admin.get(`${prefix}general:{${key}}`)).toBe("400");
  });

  test("a busy caller of a route with its own policy is admitted from both leases, each count handed out once", async () => {
    const limiter = await instance({ RATE_LIMIT_MAX: "1000000", RATE_LIMIT_SEARCH_MAX: "1000000" });
    const key = "user:busy-search";
    const decisions: Awaited<ReturnType<RateLimiter["consume"]>>[] = [];
    const calls = await scriptCallsDuring(key, async () => {
      for (let round = 0; round < 100; round++) {
        const burst = Array.from({ length: 20 }, () => limiter.consume(key, ["general", "search"]));
        decisions.push(...(await Promise.all(burst)));
      }
    });
    expect(calls).toBeLessThan(40);
    expect(decisions.every((d) => d.allowed)).toBe(true);
    for (const [i, name] of ["general", "search"].entries()) {
      expect(decisions.every((d) => d.policies[i]?.name === name)).toBe(true);
      const remaining = new Set(decisions.map((d) => d.policies[i]?.remaining));
      expect(remaining.size).toBe(2000);
    }
  });

  test("a caller whose route policy runs out while general is leased: exactly that limit, each count once", async () => {
    const limiter = await instance({ RATE_LIMIT_MAX: "1000000", RATE_LIMIT_SEARCH_MAX: "400" });
    const key = "user:search-runs-out";
    const decisions = [];
    for (let round = 0; round < 30; round++) {
      decisions.push(
        ...(await Promise.all(Array.from({ length: 20 }, () => limiter.consume(key, ["general", "search"])))),
      );
    }
    const allowed = decisions.filter((d) => d.allowed);
    expect(allowed).toHaveLength(400);
    const search = allowed.map((d) => d.policies[1]?.remaining).sort((a, b) => (a as number) - (b as number));
    expect(search).toEqual(Array.from({ length: 400 }, (_, i) => i));
    expect(new Set(allowed.map((d) => d.policies[0]?.remaining)).size).toBe(400);
    const refused = decisions.filter((d) => !d.allowed);
    expect(refused.every((d) => d.tightest.name === "search" && d.tightest.remaining === 0)).toBe(true);
  });

  test("a slice never takes the second half of the limit: a key near its limit is counted one by one", async () => {
    const limiter = await instance({ RATE_LIMIT_MAX: "200", RATE_LIMIT_WINDOW_MS: "60000" });
    const key = "user:half";
    const counter = `${prefix}general:{${key}}`;
    let highest = 0;
    let ahead = 0;
    for (let round = 1; round <= 10; round++) {
      await Promise.all(Array.from({ length: 10 }, () => limiter.consume(key, ["general"])));
      const counted = Number(await admin.get(counter));
      highest = Math.max(highest, counted);
      ahead = Math.max(ahead, counted - round * 10);
    }
    // Slices were leased ahead of use, but never past the first half: 100 admitted, 100 counted.
    expect(ahead).toBeGreaterThan(0);
    expect(highest).toBeLessThanOrEqual(100);
    expect(Number(await admin.get(counter))).toBe(100);
  });

  test("gives an unused slice back when it shuts down", async () => {
    const limiter = await instance({ RATE_LIMIT_MAX: "100000", RATE_LIMIT_WINDOW_MS: "60000" });
    const key = "user:give-back";
    const counter = `${prefix}general:{${key}}`;
    // Rounds of 20 until this instance holds part of a slice (Redis counted more than it admitted).
    let admitted = 0;
    while (admitted < 2000 && Number(await admin.get(counter)) <= admitted) {
      const decisions = await Promise.all(Array.from({ length: 20 }, () => limiter.consume(key, ["general"])));
      admitted += decisions.filter((d) => d.allowed).length;
    }
    expect(Number(await admin.get(counter))).toBeGreaterThan(admitted);
    await limiter.close();
    expect(await admin.get(counter)).toBe(String(admitted));
  });

  test("with RATE_LIMIT_LEASING=false every request is counted in Redis", async () => {
    const limiter = await instance({ RATE_LIMIT_MAX: "1000000", RATE_LIMIT_LEASING: "false" });
    const key = "user:no-leases";
    for (let round = 0; round < 10; round++) {
      await Promise.all(Array.from({ length: 20 }, () => limiter.consume(key, ["general"])));
      expect(await admin.get(`${prefix}general:{${key}}`)).toBe(String((round + 1) * 20));
    }
  });
});
