import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type Redis from "ioredis";
import { createMemoryLogger } from "../../src/observability/logger";
import { createRateLimiter, type RateLimiter } from "../../src/ratelimit/limiter";
import type { RedisConnection } from "../../src/redis/client";
import { testConfig } from "../helpers/app";
import { adminRedis, counterConnection, deleteKeys, redisAvailable, testPrefix } from "./support";

const config = testConfig({
  RATE_LIMIT_MAX: "5",
  RATE_LIMIT_WINDOW_MS: "1000",
  RATE_LIMIT_SEARCH_MAX: "2",
  RATE_LIMIT_SEARCH_WINDOW_MS: "1000",
});

describe.skipIf(!redisAvailable)("rate limiter on Redis", () => {
  const prefix = testPrefix();
  const logger = createMemoryLogger();
  let admin: Redis;
  let connections: RedisConnection[] = [];
  let limiters: RateLimiter[] = [];

  /** A limiter as one server instance builds it: its own connection, the shared prefix. */
  async function instance(): Promise<RateLimiter> {
    const redis = await counterConnection();
    connections.push(redis);
    const limiter = createRateLimiter({ config, redis, logger, prefix });
    limiters.push(limiter);
    return limiter;
  }

  beforeAll(() => {
    admin = adminRedis();
  });
  afterAll(async () => {
    await Promise.all(limiters.map((l) => l.close()));
    for (const connection of connections) connection.disconnect();
    await deleteKeys(admin, prefix);
    admin.disconnect();
    limiters = [];
    connections = [];
  });

  test("shares one count between instances", async () => {
    const [a, b] = [await instance(), await instance()];
    await a.consume("ip:198.51.100.1", ["general"]);
    await a.consume("ip:198.51.100.1", ["general"]);
    const third = await b.consume("ip:198.51.100.1", ["general"]);
    expect(third.allowed).toBe(true);
    expect(third.tightest.remaining).toBe(2);
    expect(a.storeState()).toBe("redis");
  });

  test("counts every policy of a request in one Redis command", async () => {
    const limiter = await instance();
    const key = "user:one-call";
    await limiter.consume("user:warm-up", ["general", "search"]);
    const monitor = await admin.duplicate().monitor();
    const seen: string[][] = [];
    // Commands a script runs show up too, with source "lua": count only what clients sent.
    monitor.on("monitor", (_time: string, args: string[], source: string) => {
      if (source !== "lua" && args.some((a) => a.includes(key))) seen.push(args);
    });
    await Bun.sleep(50);
    const decision = await limiter.consume(key, ["general", "search"]);
    await Bun.sleep(100);
    monitor.disconnect();
    expect(decision.policies.map((p) => [p.name, p.remaining])).toEqual([
      ["general", 4],
      ["search", 1],
    ]);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.[0]?.toLowerCase()).toBe("evalsha");
    expect(seen[0]?.filter((a) => a.includes(key))).toEqual([`${prefix}general:{${key}}`, `${prefix}search:{${key}}`]);
  });

  test("keeps counting in Redis after Redis forgets its scripts (SCRIPT FLUSH, a restart)", async () => {
    const limiter = await instance();
    const key = "user:script-flush";
    await limiter.consume(key, ["general"]);
    await admin.script("FLUSH");
    const after = await limiter.consume(key, ["general"]);
    expect(after.allowed).toBe(true);
    expect(after.tightest.remaining).toBe(3);
    expect(limiter.storeState()).toBe("redis");
    expect(await admin.get(`${prefix}general:{${key}}`)).toBe("2");
  });

  test("refuses with nothing counted when one policy is exhausted", async () => {
    const limiter = await instance();
    const key = "user:all-or-nothing";
    await limiter.consume(key, ["general", "search"]);
    await limiter.consume(key, ["general", "search"]);
    const refused = await (await instance()).consume(key, ["general", "search"]);
    expect(refused.allowed).toBe(false);
    expect(refused.tightest.name).toBe("search");
    expect(refused.tightest.remaining).toBe(0);
    expect(refused.tightest.retryAfter).toBe(1);
    const general = refused.policies.find((p) => p.name === "general");
    expect(general?.remaining).toBe(3);
    expect(general?.retryAfter).toBeUndefined();
    expect(await admin.get(`${prefix}general:{${key}}`)).toBe("2");
  });

  test("a refused request neither extends the window nor refills it", async () => {
    const first = await instance();
    const key = "ip:198.51.100.20";
    const started = Date.now();
    await first.consume(key, ["search"]);
    const last = await first.consume(key, ["search"]);
    expect(last.tightest.remaining).toBe(0);
    await Bun.sleep(400);
    // A second instance has no memory of the block, so this refusal is decided by Redis.
    const refused = await (await instance()).consume(key, ["search"]);
    expect(refused.allowed).toBe(false);
    expect(refused.tightest.resetAt).toBe(last.tightest.resetAt);
    const ttl = await admin.pttl(`${prefix}search:{${key}}`);
    expect(ttl).toBeLessThanOrEqual(1000 - (Date.now() - started) + 20);
    await Bun.sleep(Math.max(0, started + 1050 - Date.now()));
    const again = await (await instance()).consume(key, ["search"]);
    expect(again.allowed).toBe(true);
    expect(again.tightest.remaining).toBe(1);
  });

  test("refuses an exhausted key from memory, without asking Redis, until its window ends", async () => {
    const limiter = await instance();
    const key = "ip:198.51.100.30";
    const started = Date.now();
    await limiter.consume(key, ["search"]);
    await limiter.consume(key, ["search"]);
    // Had this instance asked Redis, the deleted counter would let the request through.
    await admin.del(`${prefix}search:{${key}}`);
    const refused = await limiter.consume(key, ["search"]);
    expect(refused.allowed).toBe(false);
    expect(refused.tightest.retryAfter).toBeGreaterThanOrEqual(1);
    expect(await admin.exists(`${prefix}search:{${key}}`)).toBe(0);
    await Bun.sleep(Math.max(0, started + 1050 - Date.now()));
    const after = await limiter.consume(key, ["search"]);
    expect(after.allowed).toBe(true);
    expect(after.tightest.remaining).toBe(1);
  });

  test("rounds the window end up to the second and counts Retry-After from it", async () => {
    const limiter = await instance();
    const before = Date.now();
    const decision = await limiter.consume("ip:198.51.100.40", ["general"]);
    const after = Date.now();
    expect(decision.tightest.resetAt).toBeGreaterThanOrEqual(Math.ceil((before + 1000) / 1000));
    expect(decision.tightest.resetAt).toBeLessThanOrEqual(Math.ceil((after + 1000) / 1000));
    expect(decision.tightest.resetIn).toBe(1);
  });
});

describe("rate limiter without Redis", () => {
  test("counts in process memory and says so", async () => {
    const limiter = createRateLimiter({ config, logger: createMemoryLogger() });
    const results = [];
    for (let i = 0; i < 3; i++) results.push(await limiter.consume("ip:192.0.2.1", ["search"]));
    expect(results.map((r) => [r.allowed, r.tightest.remaining])).toEqual([
      [true, 1],
      [true, 0],
      [false, 0],
    ]);
    expect(results[2]?.tightest.retryAfter).toBe(1);
    expect(limiter.storeState()).toBe("memory");
    await limiter.close();
  });

  test("starts a new window once the old one has ended", async () => {
    const limiter = createRateLimiter({ config, logger: createMemoryLogger() });
    await limiter.consume("ip:192.0.2.2", ["search"]);
    await limiter.consume("ip:192.0.2.2", ["search"]);
    await Bun.sleep(1050);
    const next = await limiter.consume("ip:192.0.2.2", ["search"]);
    expect([next.allowed, next.tightest.remaining]).toEqual([true, 1]);
    await limiter.close();
  });

  test("warns at start-up in production that each instance counts alone", async () => {
    const logger = createMemoryLogger();
    const production = testConfig({
      NODE_ENV: "production",
      JWT_SECRET: "a".repeat(32),
      JWT_REFRESH_SECRET: "b".repeat(32),
      METRICS_TOKEN: "m".repeat(32),
    });
    const limiter = createRateLimiter({ config: production, logger });
    expect(logger.lines).toEqual([
      {
        level: "warn",
        msg: "REDIS_URL is not set: rate limits are counted per process, so each instance allows the full limit",
      },
    ]);
    await limiter.close();
  });
});
