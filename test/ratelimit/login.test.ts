import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { App } from "../../src/app";
import { createMemoryLogger } from "../../src/observability/logger";
import { createMetrics, type Metrics } from "../../src/observability/metrics";
import { createRateLimiter, type RateLimiter } from "../../src/ratelimit/limiter";
import type { RedisConnection } from "../../src/redis/client";
import { buildTestApp, expectErrorEnvelope, testConfig } from "../helpers/app";
import { createTestDatabase, type TestDatabase } from "../helpers/database";
import {
  bearer,
  cheapHashEnv,
  jsonRequest,
  login,
  type SeededOrganization,
  seedOrganization,
} from "../helpers/fixtures";
import { adminRedis, counterConnection, deleteKeys, redisAvailable, testPrefix } from "./support";

/** The real app (createApp → modules/api.ts) on a Redis limiter with the seed's default limits. */
describe.skipIf(!redisAvailable)("rate limits on the real routes", () => {
  const prefix = testPrefix();
  let database: TestDatabase;
  let redis: RedisConnection;
  let limiter: RateLimiter;
  let app: App;
  let org: SeededOrganization;
  let metrics: Metrics;

  beforeAll(async () => {
    database = await createTestDatabase("sqlite");
    org = await seedOrganization(database.db, "Limits");
    redis = await counterConnection();
    const env = { ...cheapHashEnv, TRUST_PROXY: "1" };
    limiter = createRateLimiter({ config: testConfig(env), redis, logger: createMemoryLogger(), prefix });
    metrics = createMetrics({ rateLimitStore: () => limiter.storeState(), processMetrics: false });
    app = buildTestApp({ env, deps: { db: database.db, limiter, metrics, observers: [metrics.observe] } }).app;
  });
  afterAll(async () => {
    await limiter.close();
    redis.disconnect();
    const admin = adminRedis();
    await deleteKeys(admin, prefix);
    admin.disconnect();
    await database.drop();
  });

  const attempt = (ip: string, password: string, email = org.user.email) =>
    app.handle(jsonRequest("POST", "/api/v1/auth/login", { email, password }, { "x-forwarded-for": ip }));

  test("refuses the sixth login attempt from one address in 15 minutes, while another address still signs in", async () => {
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await attempt("198.51.100.7", "wrong-password")).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401]);

    const sixth = await attempt("198.51.100.7", org.user.password);
    const body = await expectErrorEnvelope(sixth, 429, "TooManyRequests");
    expect(body.message).toBe("Too many requests, please try again later");
    expect(sixth.headers.get("x-ratelimit-limit")).toBe("5");
    expect(sixth.headers.get("x-ratelimit-remaining")).toBe("0");
    const retryAfter = Number(sixth.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(14 * 60);
    expect(retryAfter).toBeLessThanOrEqual(15 * 60);

    const other = await attempt("198.51.100.8", org.user.password);
    expect(other.status).toBe(200);
    expect(other.headers.get("x-ratelimit-limit")).toBe("5");
    expect(other.headers.get("x-ratelimit-remaining")).toBe("4");
    expect(other.headers.get("ratelimit-policy")).toBe('"general";q=100;w=60, "auth";q=5;w=900');
  });

  test("counts successful logins too: there is no refund", async () => {
    for (let i = 0; i < 5; i++) expect((await attempt("198.51.100.9", org.user.password)).status).toBe(200);
    expect((await attempt("198.51.100.9", org.user.password)).status).toBe(429);
  });

  test("counts a signed-in caller by its user, not by the address it shares", async () => {
    const tokens = await login(app, org.admin);
    const me = () => app.handle(new Request("http://localhost/api/v1/me", { headers: bearer(tokens.accessToken) }));
    const first = await me();
    expect(first.status).toBe(200);
    expect(first.headers.get("ratelimit")).toBe('"general";r=99;t=60');
    expect((await me()).headers.get("x-ratelimit-remaining")).toBe("98");
    const admin = adminRedis();
    const keys = await admin.keys(`${prefix}general:{user:*}`);
    admin.disconnect();
    expect(keys).toEqual([`${prefix}general:{user:${org.admin.id}}`]);
  });

  test("/metrics counts each 429 under the policy that refused it, and shows the store in use", async () => {
    const scrape = async () => (await app.handle(new Request("http://localhost/metrics"))).text();
    const refusedByAuth = (text: string) =>
      Number(/rate_limit_rejections_total\{policy="auth"\} (\d+)/.exec(text)?.[1] ?? 0);
    const before = refusedByAuth(await scrape());
    for (let i = 0; i < 6; i++) await attempt("198.51.100.10", "wrong-password");
    const after = await scrape();
    expect(refusedByAuth(after)).toBe(before + 1);
    expect(after).toContain("rate_limit_store_fallback 0");
  });
});
