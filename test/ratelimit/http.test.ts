import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type Redis from "ioredis";
import { createMemoryLogger } from "../../src/observability/logger";
import { createRateLimiter, type RateLimiter } from "../../src/ratelimit/limiter";
import type { RedisConnection } from "../../src/redis/client";
import { expectErrorEnvelope, testConfig } from "../helpers/app";
import { adminRedis, buildLimitedApp, counterConnection, deleteKeys, get, redisAvailable, testPrefix } from "./support";

type Store = "Redis" | "process memory";
const stores: Store[] = redisAvailable ? ["Redis", "process memory"] : ["process memory"];

describe.each(stores)("rate limits over HTTP, counted in %s", (store) => {
  const prefix = testPrefix();
  let redis: RedisConnection | undefined;
  let admin: Redis | undefined;
  const limiters: RateLimiter[] = [];

  beforeAll(async () => {
    if (store !== "Redis") return;
    redis = await counterConnection();
    admin = adminRedis();
  });
  afterAll(async () => {
    await Promise.all(limiters.map((l) => l.close()));
    redis?.disconnect();
    if (admin) {
      await deleteKeys(admin, prefix);
      admin.disconnect();
    }
  });

  /** An app on a limiter of its own (its own key prefix), configured by environment variables. */
  function appWith(env: Record<string, string>) {
    const config = testConfig({ RATE_LIMIT_WINDOW_MS: "1000", ...env });
    const limiter = createRateLimiter({ config, redis, logger: createMemoryLogger(), prefix: testPrefix() });
    limiters.push(limiter);
    return buildLimitedApp({ config, limiter });
  }

  test("the first response shows the limit, 99 remaining and when the window ends", async () => {
    const app = appWith({ RATE_LIMIT_MAX: "100" });
    const before = Date.now();
    const response = await get(app, "/api/v1/ping");
    const after = Date.now();
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ success: true, data: { pong: true } });
    expect(response.headers.get("x-ratelimit-limit")).toBe("100");
    expect(response.headers.get("x-ratelimit-remaining")).toBe("99");
    const reset = Number(response.headers.get("x-ratelimit-reset"));
    expect(reset).toBeGreaterThanOrEqual(Math.ceil((before + 1000) / 1000));
    expect(reset).toBeLessThanOrEqual(Math.ceil((after + 1000) / 1000));
    expect(response.headers.get("ratelimit-policy")).toBe('"general";q=100;w=1');
    expect(response.headers.get("ratelimit")).toBe('"general";r=99;t=1');
  });

  test("counts down to 0, then refuses with 429, Retry-After and the seed's body, then lets in again after the window", async () => {
    const app = appWith({ RATE_LIMIT_MAX: "100" });
    const started = Date.now();
    const responses: Response[] = [];
    for (let i = 0; i < 100; i++) responses.push(await get(app, "/api/v1/ping"));
    expect(responses.map((r) => r.status)).toEqual(new Array(100).fill(200));
    const last = responses[99] as Response;
    expect(last.headers.get("x-ratelimit-remaining")).toBe("0");
    expect(last.headers.get("ratelimit")).toBe('"general";r=0;t=1');

    const refused = await get(app, "/api/v1/ping");
    const body = await expectErrorEnvelope(refused, 429, "TooManyRequests");
    expect(body.message).toBe("Too many requests, please try again later");
    expect(body.path).toBe("/api/v1/ping");
    expect(refused.headers.get("retry-after")).toBe("1");
    expect(refused.headers.get("x-ratelimit-limit")).toBe("100");
    expect(refused.headers.get("x-ratelimit-remaining")).toBe("0");
    expect(refused.headers.get("x-ratelimit-reset")).toBe(last.headers.get("x-ratelimit-reset"));
    expect(refused.headers.get("ratelimit")).toBe('"general";r=0;t=1');

    await Bun.sleep(Math.max(0, started + 1050 - Date.now()));
    const again = await get(app, "/api/v1/ping");
    expect(again.status).toBe(200);
    expect(again.headers.get("x-ratelimit-remaining")).toBe("99");
    expect(Number(again.headers.get("x-ratelimit-reset"))).toBeGreaterThan(
      Number(last.headers.get("x-ratelimit-reset")),
    );
  });

  test("a route's own policy adds to general, counts general once, and the headers show the tighter one", async () => {
    const app = appWith({ RATE_LIMIT_MAX: "100", RATE_LIMIT_SEARCH_MAX: "2", RATE_LIMIT_SEARCH_WINDOW_MS: "60000" });
    const first = await get(app, "/api/v1/search");
    expect(first.status).toBe(200);
    expect(first.headers.get("x-ratelimit-limit")).toBe("2");
    expect(first.headers.get("x-ratelimit-remaining")).toBe("1");
    expect(first.headers.get("ratelimit-policy")).toBe('"general";q=100;w=1, "search";q=2;w=60');
    expect(first.headers.get("ratelimit")).toBe('"general";r=99;t=1, "search";r=1;t=60');
    await get(app, "/api/v1/search");
    const refused = await get(app, "/api/v1/search");
    await expectErrorEnvelope(refused, 429, "TooManyRequests");
    expect(refused.headers.get("x-ratelimit-limit")).toBe("2");
    expect(refused.headers.get("retry-after")).toBe(
      refused.headers.get("ratelimit")?.match(/"search";r=0;t=(\d+)/)?.[1] ?? "",
    );

    const ping = await get(app, "/api/v1/ping");
    expect(ping.status).toBe(200);
    expect(Number(ping.headers.get("x-ratelimit-remaining"))).toBeGreaterThanOrEqual(96);
    expect(ping.headers.get("ratelimit-policy")).toBe('"general";q=100;w=1');
  });

  test("keeps the headers on an error response after the limit", async () => {
    const app = appWith({ RATE_LIMIT_MAX: "100" });
    const response = await get(app, "/api/v1/fails");
    await expectErrorEnvelope(response, 500, "InternalServerError");
    expect(response.headers.get("x-ratelimit-limit")).toBe("100");
    expect(response.headers.get("x-ratelimit-remaining")).toBe("99");
  });

  test("never limits /health and puts no rate-limit headers on it", async () => {
    const app = appWith({ RATE_LIMIT_MAX: "1" });
    await get(app, "/api/v1/ping");
    expect((await get(app, "/api/v1/ping")).status).toBe(429);
    for (let i = 0; i < 3; i++) {
      const health = await get(app, "/health");
      expect(health.status).toBe(200);
      expect(health.headers.get("x-ratelimit-limit")).toBeNull();
    }
  });

  test("ignores X-Forwarded-For without TRUST_PROXY: a client cannot pick its own bucket", async () => {
    const app = appWith({ RATE_LIMIT_MAX: "2" });
    const statuses = [];
    for (const ip of ["203.0.113.1", "203.0.113.2", "203.0.113.3"]) {
      statuses.push((await get(app, "/api/v1/ping", { "x-forwarded-for": ip })).status);
    }
    expect(statuses).toEqual([200, 200, 429]);
  });

  test("with TRUST_PROXY, counts each forwarded client apart", async () => {
    const app = appWith({ RATE_LIMIT_MAX: "2", TRUST_PROXY: "1" });
    const one = { "x-forwarded-for": "203.0.113.1" };
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await get(app, "/api/v1/ping", one)).status);
    expect(statuses).toEqual([200, 200, 429]);
    const other = await get(app, "/api/v1/ping", { "x-forwarded-for": "203.0.113.2" });
    expect(other.status).toBe(200);
    expect(other.headers.get("x-ratelimit-remaining")).toBe("1");
  });

  test("counts two forwarded IPv6 addresses of one /64 together, and another /64 apart", async () => {
    const app = appWith({ RATE_LIMIT_MAX: "2", TRUST_PROXY: "1" });
    const a = await get(app, "/api/v1/ping", { "x-forwarded-for": "2001:db8:5:6::1" });
    const b = await get(app, "/api/v1/ping", { "x-forwarded-for": "2001:db8:5:6:ffff::2" });
    const c = await get(app, "/api/v1/ping", { "x-forwarded-for": "2001:db8:5:6::3" });
    expect([a.status, b.status, c.status]).toEqual([200, 200, 429]);
    expect(b.headers.get("x-ratelimit-remaining")).toBe("0");
    const other = await get(app, "/api/v1/ping", { "x-forwarded-for": "2001:db8:5:7::1" });
    expect(other.status).toBe(200);
    expect(other.headers.get("x-ratelimit-remaining")).toBe("1");
  });

  test("counts a signed-in caller as itself, apart from its address and from other callers", async () => {
    const app = appWith({ RATE_LIMIT_MAX: "2" });
    const alice = { "x-test-user": "alice" };
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await get(app, "/api/v1/whoami", alice)).status);
    expect(statuses).toEqual([200, 200, 429]);
    const bob = await get(app, "/api/v1/whoami", { "x-test-user": "bob" });
    expect(bob.status).toBe(200);
    expect(await bob.json()).toEqual({ success: true, data: { id: "user:bob" } });
    const anonymous = await get(app, "/api/v1/whoami");
    expect(anonymous.status).toBe(200);
    expect(anonymous.headers.get("x-ratelimit-remaining")).toBe("1");
  });
});
