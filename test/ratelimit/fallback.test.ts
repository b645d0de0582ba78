import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { createMemoryLogger } from "../../src/observability/logger";
import { createRateLimiter } from "../../src/ratelimit/limiter";
import { redisReadiness } from "../../src/ratelimit/readiness";
import { closeRedis, createRedis, waitForRedis } from "../../src/redis/client";
import { testConfig } from "../helpers/app";
import { startFaultProxy } from "../helpers/fault-proxy";
import {
  adminRedis,
  buildLimitedApp,
  counterConnection,
  deleteKeys,
  get,
  type LimitedApp,
  redisAvailable,
  testPrefix,
} from "./support";

const redisPort = Number(new URL(process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379").port || 6379);
const config = testConfig({ RATE_LIMIT_MAX: "3", RATE_LIMIT_WINDOW_MS: "60000" });
const fallbackWarning = "rate limiter: Redis unavailable, counting in process memory";
const recoveryNotice = "rate limiter: Redis answers again, counting in Redis";

describe.skipIf(!redisAvailable)("rate limits while Redis is unreachable", () => {
  const prefix = testPrefix();
  const admin = adminRedis();
  let teardown: Array<() => Promise<unknown> | unknown> = [];

  afterEach(async () => {
    for (const step of teardown.reverse()) await step();
    teardown = [];
  });
  afterAll(async () => {
    await deleteKeys(admin, prefix);
    admin.disconnect();
  });

  /** An app whose limiter reaches Redis on `port` (a proxy), with readiness as dependencies.ts wires it. */
  async function appThrough(port: number) {
    const logger = createMemoryLogger();
    // As dependencies.ts wires them: ioredis for readiness, the limiter's own connection for counts.
    const redis = createRedis(`redis://127.0.0.1:${port}`, logger);
    expect(await waitForRedis(redis, 2000)).toBe(true);
    const counters = await counterConnection(`redis://127.0.0.1:${port}`);
    expect(counters.status).toBe("ready");
    const limiter = createRateLimiter({ config, redis: counters, logger, prefix, probeIntervalMs: 50 });
    teardown.push(
      () => closeRedis(redis),
      () => counters.disconnect(),
      () => limiter.close(),
    );
    const app = buildLimitedApp({ config, limiter, logger, readiness: { redis: redisReadiness(redis, limiter) } });
    return { app, limiter, logger };
  }

  const messages = (logger: ReturnType<typeof createMemoryLogger>, msg: string) =>
    logger.lines.filter((line) => line.msg === msg);

  async function readiness(app: LimitedApp) {
    const response = await get(app, "/health/ready");
    const body = (await response.json()) as { checks: Record<string, string> };
    return { status: response.status, redis: body.checks.redis };
  }

  async function until(condition: () => Promise<boolean>, ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      if (await condition()) return true;
      await Bun.sleep(25);
    }
    return false;
  }

  test("a cut to Redis: requests are still served and limited in memory, readiness fails, and Redis counts again once it is back", async () => {
    const proxy = await startFaultProxy("127.0.0.1", redisPort);
    teardown.push(() => proxy.close());
    const { app, limiter, logger } = await appThrough(proxy.port);
    const key = `${prefix}general:{ip:127.0.0.1}`;

    expect((await get(app, "/api/v1/ping")).status).toBe(200);
    expect((await get(app, "/api/v1/ping")).status).toBe(200);
    expect(await admin.get(key)).toBe("2");
    expect(await readiness(app)).toEqual({ status: 200, redis: "healthy" });

    proxy.refuse();
    const during: number[] = [];
    const started = Date.now();
    for (let i = 0; i < 5; i++) during.push((await get(app, "/api/v1/ping")).status);
    expect(Date.now() - started).toBeLessThan(1000);
    // This process's own count starts afresh: 3 allowed, then refused; never a 5xx.
    expect(during).toEqual([200, 200, 200, 429, 429]);
    expect(limiter.storeState()).toBe("memory");
    expect(await readiness(app)).toEqual({ status: 503, redis: "unhealthy" });
    expect(messages(logger, fallbackWarning)).toHaveLength(1);

    proxy.heal();
    expect(await until(async () => (await readiness(app)).redis === "healthy", 5000)).toBe(true);
    expect(limiter.storeState()).toBe("redis");
    expect(messages(logger, recoveryNotice)).toHaveLength(1);

    // The shared count (2) is used again, not this process's memory (already exhausted).
    const back = await get(app, "/api/v1/ping");
    expect(back.status).toBe(200);
    expect(back.headers.get("x-ratelimit-remaining")).toBe("0");
    expect(await admin.get(key)).toBe("3");
    expect((await get(app, "/api/v1/ping")).status).toBe(429);
    expect(messages(logger, fallbackWarning)).toHaveLength(1);
  });

  test("a Redis that stops answering costs a request about 50 ms, once, then requests are counted in memory until it answers again", async () => {
    const proxy = await startFaultProxy("127.0.0.1", redisPort);
    teardown.push(() => proxy.close());
    const { app, limiter, logger } = await appThrough(proxy.port);
    await admin.del(`${prefix}general:{ip:127.0.0.1}`);

    proxy.blackhole();
    const started = performance.now();
    const first = await get(app, "/api/v1/ping");
    const firstMs = performance.now() - started;
    expect(first.status).toBe(200);
    expect(firstMs).toBeGreaterThanOrEqual(40);
    expect(firstMs).toBeLessThan(300);
    const next = performance.now();
    expect((await get(app, "/api/v1/ping")).status).toBe(200);
    expect(performance.now() - next).toBeLessThan(40);
    expect(limiter.storeState()).toBe("memory");
    expect(await readiness(app)).toEqual({ status: 503, redis: "unhealthy" });
    expect(messages(logger, fallbackWarning)).toHaveLength(1);

    proxy.heal();
    expect(await until(async () => limiter.storeState() === "redis", 5000)).toBe(true);
    expect(await readiness(app)).toEqual({ status: 200, redis: "healthy" });
    const back = await get(app, "/api/v1/ping");
    expect(back.status).toBe(200);
    // 2: this one, and the one whose command reached Redis before its reply was held back.
    expect(back.headers.get("x-ratelimit-remaining")).toBe("1");
    expect(await admin.get(`${prefix}general:{ip:127.0.0.1}`)).toBe("2");
  });
});
