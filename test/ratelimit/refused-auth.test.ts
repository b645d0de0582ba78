import { afterAll, describe, expect, test } from "bun:test";
import { createMemoryLogger } from "../../src/observability/logger";
import { createRateLimiter } from "../../src/ratelimit/limiter";
import { buildTestApp, expectErrorEnvelope, testConfig } from "../helpers/app";
import { createTestDatabase } from "../helpers/database";

const database = await createTestDatabase("sqlite");

describe("requests refused by auth are counted too", () => {
  const config = testConfig({ RATE_LIMIT_MAX: "3" });
  const limiter = createRateLimiter({ config, logger: createMemoryLogger() });
  const { app } = buildTestApp({ deps: { config, limiter, db: database.db } });
  afterAll(() => database.drop());
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
