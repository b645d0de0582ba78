import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { App } from "../../src/app";
import { loadConfig } from "../../src/config";
import { createCircuitBreaker } from "../../src/lib/circuit-breaker";
import { createOpenAiProvider } from "../../src/modules/ai/provider";
import { createMemoryLogger } from "../../src/observability/logger";
import { insertProspect } from "../emails/support";
import { buildTestApp, expectErrorEnvelope } from "../helpers/app";
import { createTestDatabase, type TestDatabase } from "../helpers/database";
import { bearer, cheapHashEnv, jsonRequest, login, seedOrganization } from "../helpers/fixtures";
import { completion, type FakeOpenAi, startFakeOpenAi } from "./fake-openai";

describe("the AI provider's circuit breaker, on an OpenAI-compatible endpoint", () => {
  let database: TestDatabase;
  let provider: FakeOpenAi;
  let app: App;
  let token: string;
  let prospectId: string;
  const logger = createMemoryLogger();
  const breaker = createCircuitBreaker({ name: "ai", openMs: 300 });

  beforeAll(async () => {
    database = await createTestDatabase("sqlite");
    provider = startFakeOpenAi();
    const env = { ...cheapHashEnv, AI_BASE_URL: provider.baseUrl, AI_API_KEY: "sk-test", AI_TIMEOUT_MS: "300" };
    const ai = createOpenAiProvider(loadConfig({ ...env, NODE_ENV: "test" }).ai, { logger, breaker });
    app = buildTestApp({ env, deps: { db: database.db, ai, logger } }).app;
    const org = await seedOrganization(database.db, "Circuit Co");
    token = (await login(app, org.user)).accessToken;
    prospectId = await insertProspect(database.db, org.id, { email: "ada@circuit.example", firstName: "Ada" });
  });
  afterAll(async () => {
    await provider.stop();
    await database.drop();
  });

  const draft = () =>
    app.handle(jsonRequest("POST", "/api/v1/ai/draft-email", { prospectId, goal: "Book a demo" }, bearer(token)));

  test("after 3 failed drafts, the next get a 503 at once without calling the provider; one trial after the wait closes it", async () => {
    provider.behave(() => Response.json({ error: { message: "overloaded" } }, { status: 500 }));
    for (let i = 0; i < 3; i++) await expectErrorEnvelope(await draft(), 502, "BadGateway");
    expect(provider.requests).toHaveLength(3);
    expect(breaker.state()).toBe("open");

    const started = performance.now();
    const refused = await draft();
    expect(performance.now() - started).toBeLessThan(50);
    expect(refused.headers.get("retry-after")).toBe("5");
    const body = await expectErrorEnvelope(refused, 503, "ServiceUnavailable");
    expect(body.message).toBe("The AI provider is unavailable, please retry");
    expect(provider.requests).toHaveLength(3);

    provider.behave(() => completion(JSON.stringify({ subject: "Hello", body: "Hi there" })));
    await Bun.sleep(320);
    expect((await draft()).status).toBe(200);
    expect(breaker.state()).toBe("closed");
    expect(provider.requests).toHaveLength(4);
  });

  test("timeouts count too (504s)", async () => {
    provider.behave(async () => {
      await Bun.sleep(600);
      return completion("{}");
    });
    for (let i = 0; i < 3; i++) await expectErrorEnvelope(await draft(), 504, "GatewayTimeout");
    expect(breaker.state()).toBe("open");
    await expectErrorEnvelope(await draft(), 503, "ServiceUnavailable");
    provider.behave(() => completion(JSON.stringify({ subject: "Hello", body: "Hi there" })));
    await Bun.sleep(320);
    expect((await draft()).status).toBe(200);
  });
});
