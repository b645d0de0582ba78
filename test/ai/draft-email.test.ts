import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import type { App } from "../../src/app";
import { createMemoryLogger } from "../../src/observability/logger";
import { createRateLimiter } from "../../src/ratelimit/limiter";
import { insertProspect } from "../emails/support";
import { buildTestApp, expectErrorEnvelope, testConfig } from "../helpers/app";
import { createTestDatabase, dialects, type TestDatabase } from "../helpers/database";
import {
  bearer,
  cheapHashEnv,
  jsonRequest,
  login,
  type SeededOrganization,
  seedOrganization,
} from "../helpers/fixtures";
import { completion, type FakeOpenAi, startFakeOpenAi } from "./fake-openai";

const apiKey = "sk-test-provider-key";

describe.each(dialects)("POST /api/v1/ai/draft-email on %s", (dialect) => {
  let database: TestDatabase;
  let provider: FakeOpenAi;
  let env: Record<string, string>;
  let app: App;
  let acme: SeededOrganization;
  let globex: SeededOrganization;
  let token: string;
  let prospectId: string;
  let foreignProspectId: string;
  const logger = createMemoryLogger();

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    provider = startFakeOpenAi();
    env = {
      ...cheapHashEnv,
      AI_BASE_URL: provider.baseUrl,
      AI_API_KEY: apiKey,
      AI_MODEL: "gpt-test",
      AI_TIMEOUT_MS: "300",
    };
    app = buildTestApp({ env, deps: { db: database.db, logger } }).app;
    acme = await seedOrganization(database.db, "Acme");
    globex = await seedOrganization(database.db, "Globex");
    token = (await login(app, acme.user)).accessToken;
    prospectId = await insertProspect(database.db, acme.id, {
      email: "ada@lovelace.example",
      firstName: "Ada",
      lastName: "Lovelace",
      company: "Analytical Engines Ltd",
      title: "CTO",
      notes: "Met at the Difference conference",
    });
    foreignProspectId = await insertProspect(database.db, globex.id, {
      email: "grace@globex.example",
      firstName: "Grace",
      company: "Globex Secret Projects",
    });
  });
  afterEach(() => {
    provider.requests.length = 0;
    provider.behave(() => completion(JSON.stringify({ subject: "Hello", body: "Hi there" })));
  });
  afterAll(async () => {
    await provider.stop();
    await database.drop();
  });

  const draft = (body: unknown, on: App = app, bearerToken = token) =>
    on.handle(jsonRequest("POST", "/api/v1/ai/draft-email", body, bearer(bearerToken)));

  test("drafts from the one prospect through the chat-completions wire format", async () => {
    provider.behave(() =>
      completion(JSON.stringify({ subject: "Engines that compute, Ada?", body: "Hi Ada,\n\nA short note.\n\nBest" })),
    );
    const response = await draft({ prospectId, goal: "Book a 20 minute demo", tone: "formal" });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      success: true,
      data: { subject: "Engines that compute, Ada?", body: "Hi Ada,\n\nA short note.\n\nBest" },
    });

    expect(provider.requests).toHaveLength(1);
    const sent = provider.requests[0];
    expect(sent?.path).toBe("/v1/chat/completions");
    expect(sent?.authorization).toBe(`Bearer ${apiKey}`);
    expect(sent?.body.model).toBe("gpt-test");
    expect(sent?.body.response_format).toEqual({ type: "json_object" });
    expect(sent?.body.messages?.map((m) => m.role)).toEqual(["system", "user"]);
    expect(sent?.body.messages?.[0]?.content).toContain('{"subject": "...", "body": "..."}');
    expect(JSON.parse(sent?.body.messages?.[1]?.content ?? "")).toEqual({
      prospect: {
        firstName: "Ada",
        lastName: "Lovelace",
        company: "Analytical Engines Ltd",
        title: "CTO",
        status: "new",
        tags: [],
        notes: "Met at the Difference conference",
      },
      goal: "Book a 20 minute demo",
      tone: "formal",
    });
  });

  test("passes the request's trace on to the provider: same trace id in traceparent, a span id of its own", async () => {
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const incoming = `00-${traceId}-00f067aa0ba902b7-01`;
    const response = await app.handle(
      jsonRequest(
        "POST",
        "/api/v1/ai/draft-email",
        { prospectId, goal: "Say hello" },
        {
          ...bearer(token),
          traceparent: incoming,
        },
      ),
    );
    expect(response.status).toBe(200);
    const sent = provider.requests[0]?.traceparent ?? "";
    expect(sent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    expect(sent).not.toBe(incoming);
  });

  test("starts a trace for a request that sent none or an invalid one, and never sends the invalid value on", async () => {
    const invalid = "00-00000000000000000000000000000000-00f067aa0ba902b7-01";
    for (const headers of [bearer(token), { ...bearer(token), traceparent: invalid }]) {
      const response = await app.handle(
        jsonRequest("POST", "/api/v1/ai/draft-email", { prospectId, goal: "Hi" }, headers),
      );
      expect(response.status).toBe(200);
      expect([...response.headers.values()].join(" ")).not.toContain("00f067aa0ba902b7");
    }
    const [first, second] = provider.requests.map((request) => request.traceparent ?? "");
    expect(first).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(second).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(second).not.toContain("00000000000000000000000000000000");
    expect(first?.split("-")[1]).not.toBe(second?.split("-")[1]);
  });

  test("never puts another organization's data in a prompt: its prospect is a 404 like a missing one", async () => {
    const foreign = await draft({ prospectId: foreignProspectId, goal: "Sell" });
    const missing = await draft({ prospectId: "no-such-prospect", goal: "Sell" });
    const a = await expectErrorEnvelope(foreign, 404, "NotFound");
    const b = await expectErrorEnvelope(missing, 404, "NotFound");
    expect(a.message).toBe("Prospect not found");
    expect(b.message).toBe(a.message);
    expect(provider.requests).toHaveLength(0);
  });

  test.each([
    ["a 500", () => Response.json({ error: { message: "internal upstream detail" } }, { status: 500 })],
    [
      "a 429 (the provider's quota)",
      () => Response.json({ error: { message: "Rate limit reached for org-secret" } }, { status: 429 }),
    ],
    ["malformed JSON", () => new Response("{not json", { headers: { "content-type": "application/json" } })],
    ["no choices", () => Response.json({ id: "x", object: "chat.completion", choices: [] })],
    ["content that is not JSON", () => completion("Subject: Hello\n\nHi there")],
    ["a subject that is not a string", () => completion(JSON.stringify({ subject: 42, body: "Hi" }))],
    ["no body", () => completion(JSON.stringify({ subject: "Hello" }))],
    ["a subject with CR LF", () => completion(JSON.stringify({ subject: "Hello\r\nBcc: x@y.example", body: "Hi" }))],
    ["a subject over 200 characters", () => completion(JSON.stringify({ subject: "x".repeat(201), body: "Hi" }))],
  ])("answers 502 without the provider's words when it sends %s", async (_, answer) => {
    provider.behave(answer);
    const body = await expectErrorEnvelope(await draft({ prospectId, goal: "Book a demo" }), 502, "BadGateway");
    expect(body.message).toBe("The AI provider could not draft this email, please retry");
  });

  test("keeps the provider's status and words in the server log, for operators", async () => {
    provider.behave(() => Response.json({ error: { message: "model overloaded" } }, { status: 503 }));
    logger.lines.length = 0;
    await expectErrorEnvelope(await draft({ prospectId, goal: "Book a demo" }), 502, "BadGateway");
    expect(logger.lines).toContainEqual({
      level: "warn",
      msg: "AI provider failed",
      reason: "error status",
      status: 503,
      body: '{"error":{"message":"model overloaded"}}',
    });
  });

  test("answers 504 when the provider does not answer within AI_TIMEOUT_MS", async () => {
    provider.behave(async () => {
      await Bun.sleep(1500);
      return completion(JSON.stringify({ subject: "Late", body: "Too late" }));
    });
    const started = performance.now();
    const body = await expectErrorEnvelope(await draft({ prospectId, goal: "Book a demo" }), 504, "GatewayTimeout");
    expect(body.message).toBe("The AI provider did not answer in time, please retry");
    expect(performance.now() - started).toBeLessThan(1200);
  });

  test("answers 502 when the provider cannot be reached", async () => {
    const unreachable = buildTestApp({
      env: { ...env, AI_BASE_URL: "http://127.0.0.1:1/v1" },
      deps: { db: database.db },
    }).app;
    const ownToken = (await login(unreachable, acme.user)).accessToken;
    const response = await draft({ prospectId, goal: "Book a demo" }, unreachable, ownToken);
    const body = await expectErrorEnvelope(response, 502, "BadGateway");
    expect(body.message).toBe("The AI provider could not draft this email, please retry");
  });

  test("answers 503 naming AI_BASE_URL and AI_API_KEY when drafting is not configured", async () => {
    const unconfigured = buildTestApp({ env: cheapHashEnv, deps: { db: database.db } }).app;
    const ownToken = (await login(unconfigured, acme.user)).accessToken;
    const response = await draft({ prospectId, goal: "Book a demo" }, unconfigured, ownToken);
    const body = await expectErrorEnvelope(response, 503, "ServiceUnavailable");
    expect(body.message).toBe("AI drafting is not configured: set AI_BASE_URL and AI_API_KEY");
  });

  test("refuses a goal over 1000 characters and an unknown tone with 422 naming each", async () => {
    const body = await expectErrorEnvelope(
      await draft({ prospectId, goal: "g".repeat(1001), tone: "angry" }),
      422,
      "ValidationError",
    );
    expect(body.errors).toEqual({
      goal: ["Goal must be at most 1000 characters"],
      tone: ["Tone must be one of: friendly, formal, direct"],
    });
    expect(provider.requests).toHaveLength(0);
  });

  test("refuses a viewer with 403", async () => {
    const viewerToken = (await login(app, acme.viewer)).accessToken;
    await expectErrorEnvelope(await draft({ prospectId, goal: "Book a demo" }, app, viewerToken), 403, "Forbidden");
  });

  test("enforces the ai quota per caller: the third draft of RATE_LIMIT_AI_MAX=2 is 429", async () => {
    const limitedEnv = { ...env, RATE_LIMIT_AI_MAX: "2" };
    const limiter = createRateLimiter({ config: testConfig(limitedEnv), logger: createMemoryLogger() });
    try {
      const limited = buildTestApp({ env: limitedEnv, deps: { db: database.db, limiter } }).app;
      const userToken = (await login(limited, acme.user)).accessToken;
      expect((await draft({ prospectId, goal: "One" }, limited, userToken)).status).toBe(200);
      expect((await draft({ prospectId, goal: "Two" }, limited, userToken)).status).toBe(200);
      const third = await draft({ prospectId, goal: "Three" }, limited, userToken);
      const body = await expectErrorEnvelope(third, 429, "TooManyRequests");
      expect(body.message).toBe("Too many requests, please try again later");
      expect(Number(third.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(provider.requests).toHaveLength(2);
    } finally {
      await limiter.close();
    }
  });
});

describe("the OpenAPI document", () => {
  test("shows 502, 503 and 504 for the draft route", async () => {
    const response = await buildTestApp().request("/docs/json");
    expect(response.status).toBe(200);
    const document = (await response.json()) as {
      paths: Record<string, Record<string, { responses?: Record<string, { $ref?: string }> }>>;
      components: { responses: Record<string, { description: string }> };
    };
    const responses = document.paths["/api/v1/ai/draft-email"]?.post?.responses ?? {};
    expect(Object.keys(responses)).toEqual(expect.arrayContaining(["200", "404", "422", "429", "502", "503", "504"]));
    expect(responses["502"]?.$ref).toBe("#/components/responses/BadGateway");
    expect(responses["504"]?.$ref).toBe("#/components/responses/GatewayTimeout");
    expect(document.components.responses.GatewayTimeout?.description).toContain("did not answer in time");
  });
});
