import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { App } from "../../src/app";
import { createMemoryLogger } from "../../src/observability/logger";
import { createRateLimiter, type RateLimiter } from "../../src/ratelimit/limiter";
import { buildTestApp, expectErrorEnvelope, testConfig } from "../helpers/app";
import { createTestDatabase, type TestDatabase } from "../helpers/database";
import { bearer, cheapHashEnv, login, seedOrganization } from "../helpers/fixtures";

describe("search's own rate limit", () => {
  const env = { ...cheapHashEnv, RATE_LIMIT_SEARCH_MAX: "2", RATE_LIMIT_MAX: "100" };
  let database: TestDatabase;
  let limiter: RateLimiter;
  let app: App;
  let headers: Record<string, string>;

  beforeAll(async () => {
    database = await createTestDatabase("sqlite");
    limiter = createRateLimiter({ config: testConfig(env), logger: createMemoryLogger() });
    app = buildTestApp({ env, deps: { db: database.db, limiter } }).app;
    const org = await seedOrganization(database.db, "Acme");
    headers = bearer((await login(app, org.viewer)).accessToken);
  });
  afterAll(async () => {
    await limiter.close();
    await database.drop();
  });

  test("counts searches against the search policy: over it is 429 while listing still works", async () => {
    const search = () => app.handle(new Request("http://localhost/api/v1/search?q=acme", { headers }));
    const first = await search();
    expect(first.status).toBe(200);
    expect(first.headers.get("x-ratelimit-limit")).toBe("2");
    expect(first.headers.get("x-ratelimit-remaining")).toBe("1");
    expect((await search()).status).toBe(200);

    const refused = await search();
    const body = await expectErrorEnvelope(refused, 429, "TooManyRequests");
    expect(body.message).toBe("Too many requests, please try again later");
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await app.handle(new Request("http://localhost/api/v1/prospects", { headers }))).status).toBe(200);
  });
});
