import { afterAll, describe, expect, test } from "bun:test";
import { createMemoryLogger } from "../../src/observability/logger";
import { createRateLimiter } from "../../src/ratelimit/limiter";
import { buildTestApp, expectErrorEnvelope, testConfig } from "../helpers/app";
import { createTestDatabase } from "../helpers/database";
import { bearer, cheapHashEnv, login, seedOrganization } from "../helpers/fixtures";

const database = await createTestDatabase("sqlite");
afterAll(() => database.drop());

describe("requests refused by auth are counted too", () => {
  const config = testConfig({ RATE_LIMIT_MAX: "3" });
  const limiter = createRateLimiter({ config, logger: createMemoryLogger() });
  const { app } = buildTestApp({ deps: { config, limiter, db: database.db } });
  const me = (authorization?: string) =>
    app.handle(new Request("http://localhost/api/v1/me", { headers: authorization ? { authorization } : {} }));

  test("a 401 carries the rate-limit headers of the general policy", async () => {
    const response = await me("Bearer forged.token.value");
    await expectErrorEnvelope(response, 401, "Unauthorized");
    expect(response.headers.get("x-ratelimit-limit")).toBe("3");
    expect(response.headers.get("x-ratelimit-remaining")).toBe("2");
  });

  test("guessing tokens from one address turns into 429 once the general limit is spent", async () => {
    await expectErrorEnvelope(await me("ApiKey sk_live_guess1"), 401, "Unauthorized");
    await expectErrorEnvelope(await me(), 401, "Unauthorized");
    const refused = await me("ApiKey sk_live_guess2");
    const body = await expectErrorEnvelope(refused, 429, "TooManyRequests");
    expect(body.message).toBe("Too many requests, please try again later");
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
  });
});

describe("a signed-in caller's invalid requests are counted against that caller", () => {
  const config = testConfig({ ...cheapHashEnv, RATE_LIMIT_MAX: "1000", RATE_LIMIT_SEARCH_MAX: "2" });
  const limiter = createRateLimiter({ config, logger: createMemoryLogger() });
  const { app } = buildTestApp({ deps: { config, limiter, db: database.db } });

  test("a 422 carries the headers of the route's policy, and each user has their own count", async () => {
    const org = await seedOrganization(database.db, "Counted Org");
    const first = (await login(app, org.user)).accessToken;
    const second = (await login(app, org.viewer)).accessToken;
    const search = (token: string, q: string) =>
      app.handle(new Request(`http://localhost/api/v1/search?q=${q}`, { headers: bearer(token) }));

    const invalid = await search(first, "");
    await expectErrorEnvelope(invalid, 422, "ValidationError");
    expect(invalid.headers.get("x-ratelimit-limit")).toBe("2");
    expect(invalid.headers.get("x-ratelimit-remaining")).toBe("1");
    expect((await search(first, "acme")).status).toBe(200);
    await expectErrorEnvelope(await search(first, "acme"), 429, "TooManyRequests");
    // Keyed by the principal, not the shared address: the other user still has both searches.
    const other = await search(second, "acme");
    expect(other.status).toBe(200);
    expect(other.headers.get("x-ratelimit-remaining")).toBe("1");
  });
});

describe("requests a route refuses are counted and carry the headers", () => {
  const config = testConfig({ ...cheapHashEnv, RATE_LIMIT_MAX: "1000" });
  const limiter = createRateLimiter({ config, logger: createMemoryLogger() });
  const { app } = buildTestApp({ deps: { config, limiter, db: database.db } });
  const remaining = (response: Response) => response.headers.get("x-ratelimit-remaining");
  const post = (path: string, body: string, headers: Record<string, string>) =>
    app.handle(
      new Request(`http://localhost${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body,
      }),
    );

  test("403 and both kinds of 422 are counted against the caller", async () => {
    const org = await seedOrganization(database.db, "Counted Refusals Org");
    const viewer = bearer((await login(app, org.viewer)).accessToken);
    const user = bearer((await login(app, org.user)).accessToken);
    const meAs = (headers: Record<string, string>) =>
      app.handle(new Request("http://localhost/api/v1/me", { headers }));
    const start = Number(remaining(await meAs(user)));
    const refused = [
      await post("/api/v1/prospects", "{}", viewer),
      await post("/api/v1/prospects", '{"email":"not an email"}', user),
      await post("/api/v1/prospects", "[]", user),
    ];
    expect(refused.map((r) => r.status)).toEqual([403, 422, 422]);
    for (const response of refused) expect(response.headers.has("x-ratelimit-limit")).toBe(true);
    expect(Number(remaining(await meAs(user)))).toBe(start - 3);
  });
});
