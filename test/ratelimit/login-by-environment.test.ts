import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createMemoryLogger } from "../../src/observability/logger";
import { createRateLimiter } from "../../src/ratelimit/limiter";
import { buildTestApp, expectErrorEnvelope, testConfig } from "../helpers/app";
import { createTestDatabase, type TestDatabase } from "../helpers/database";
import { cheapHashEnv, jsonRequest, type SeededOrganization, seedOrganization } from "../helpers/fixtures";

const secrets = { JWT_SECRET: "a".repeat(40), JWT_REFRESH_SECRET: "b".repeat(40), METRICS_TOKEN: "m".repeat(40) };

/** The real app under NODE_ENV=<env>, on the in-memory limiter with that environment's default limits. */
function appIn(env: Record<string, string>) {
  const vars = { ...cheapHashEnv, ...secrets, ...env };
  const limiter = createRateLimiter({ config: testConfig(vars), logger: createMemoryLogger() });
  const { app } = buildTestApp({ env: vars, deps: { db: database.db, limiter } });
  const attempt = (password: string) =>
    app.handle(jsonRequest("POST", "/api/v1/auth/login", { email: org.user.email, password }));
  return { attempt, close: () => limiter.close() };
}

let database: TestDatabase;
let org: SeededOrganization;
beforeAll(async () => {
  database = await createTestDatabase("sqlite");
  org = await seedOrganization(database.db, "Login Limits");
});
afterAll(() => database.drop());

describe("the login limit by environment", () => {
  test("production keeps the seed's 5 attempts per 15 minutes: the sixth is refused with 429", async () => {
    const { attempt, close } = appIn({ NODE_ENV: "production" });
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await attempt("wrong-password")).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401]);
    const sixth = await attempt(org.user.password);
    await expectErrorEnvelope(sixth, 429, "TooManyRequests");
    expect(sixth.headers.get("ratelimit-policy")).toBe('"general";q=100;w=60, "auth";q=5;w=900');
    const retryAfter = Number(sixth.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(14 * 60);
    expect(retryAfter).toBeLessThanOrEqual(15 * 60);
    await close();
  });

  test("development allows 100 attempts per 15 minutes, so a developer signing in again and again is not locked out", async () => {
    const { attempt, close } = appIn({ NODE_ENV: "development", RATE_LIMIT_MAX: "1000" });
    for (let i = 0; i < 10; i++) expect((await attempt("wrong-password")).status).toBe(401);
    const eleventh = await attempt(org.user.password);
    expect(eleventh.status).toBe(200);
    expect(eleventh.headers.get("ratelimit-policy")).toBe('"general";q=1000;w=60, "auth";q=100;w=900');
    expect(eleventh.headers.get("ratelimit")).toContain('"auth";r=89;');
    await close();
  });

  test("RATE_LIMIT_AUTH_MAX still sets the limit in development", async () => {
    const { attempt, close } = appIn({ NODE_ENV: "development", RATE_LIMIT_AUTH_MAX: "2" });
    expect((await attempt("wrong-password")).status).toBe(401);
    expect((await attempt("wrong-password")).status).toBe(401);
    await expectErrorEnvelope(await attempt(org.user.password), 429, "TooManyRequests");
    await close();
  });
});
