import { describe, expect, test } from "bun:test";
import { Elysia, t } from "elysia";
import { loadConfig } from "../../src/config";
import { createGuards } from "../../src/http/guards";
import { okSchema } from "../../src/http/schemas";
import type { Authenticator } from "../../src/modules/auth/authenticator";
import { listProspectsResponses } from "../../src/modules/prospects/model";
import { buildTestApp, expectErrorEnvelope } from "../helpers/app";
import { createConformance, type OpenApiDocument } from "../helpers/conformance";

const { request } = buildTestApp();
const document = (await (await request("/docs/json")).json()) as OpenApiDocument;
const conformance = createConformance(document);
const json = (body: unknown, status: number, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", "x-request-id": "req_1700000000_abc123", ...headers },
  });
const me = new Request("http://localhost/api/v1/me");
const error = (status: number, name: string) => ({
  success: false,
  error: name,
  message: "m",
  statusCode: status,
  timestamp: "2026-12-01T00:00:00.000Z",
  path: "/api/v1/me",
  method: "GET",
  requestId: "req_1700000000_abc123",
});

describe("the conformance check the test helpers run on every response", () => {
  test("passes a response the document describes", async () => {
    const body = { success: true, data: { user: { id: "u", email: "a@b.c", organizationId: "o", role: "user" } } };
    expect(await conformance.check(me, json(body, 200))).toBeUndefined();
    expect(
      await conformance.check(me, json(error(401, "Unauthorized"), 401, { "www-authenticate": "Bearer" })),
    ).toBeUndefined();
  });

  test("names a status the operation does not document", async () => {
    expect(await conformance.check(me, json(error(409, "Conflict"), 409))).toContain("status not documented");
  });

  test("names a body its schema does not allow", async () => {
    const drifted = { success: true, data: { user: { id: 1, email: "a@b.c", organizationId: "o", role: "owner" } } };
    const violation = await conformance.check(me, json(drifted, 200));
    expect(violation).toContain("body does not match");
    expect(violation).toContain("/data/user/id");
  });

  test("names a documented required header that is missing (Retry-After on 429, X-Request-Id)", async () => {
    expect(await conformance.check(me, json(error(429, "TooManyRequests"), 429))).toContain("Retry-After missing");
    const noId = new Response("{}", { status: 200, headers: { "content-type": "application/json" } });
    expect(await conformance.check(me, noId)).toContain("X-Request-Id missing");
  });

  test("wants the errors member on a 422", async () => {
    const response = json(error(422, "ValidationError"), 422);
    expect(await conformance.check(new Request("http://localhost/api/v1/users"), response)).toContain("errors");
  });
});

describe("response schemas are enforced", () => {
  test("a route that returns what its response schema does not allow answers 500, not the bad body", async () => {
    const { app } = buildTestApp();
    app.use(
      new Elysia().get("/drifted", () => ({ success: true, data: { count: "many" } }) as never, {
        response: { 200: okSchema(t.Object({ count: t.Integer() })) },
        // Out of the document, so that this test sees the 500 rather than the conformance check's error.
        detail: { hide: true },
      }),
    );
    const response = await app.handle(new Request("http://localhost/drifted"));
    const body = await expectErrorEnvelope(response, 500, "InternalServerError");
    expect(JSON.stringify(body)).not.toContain("many");
  });

  test("a field the schema does not name never leaves (the schema is the allow-list)", async () => {
    const { app } = buildTestApp();
    app.use(
      new Elysia().get("/extra", () => ({ success: true as const, data: { id: "a", passwordHash: "secret" } }), {
        response: { 200: okSchema(t.Object({ id: t.String() }, { additionalProperties: false })) },
        detail: { hide: true },
      }),
    );
    const response = await app.handle(new Request("http://localhost/extra"));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ success: true, data: { id: "a" } });
  });
});

describe("where success bodies are validated", () => {
  const production = {
    NODE_ENV: "production",
    JWT_SECRET: "a".repeat(40),
    JWT_REFRESH_SECRET: "b".repeat(40),
    METRICS_TOKEN: "m".repeat(32),
  };
  const responsesUnder = (env: Record<string, string>) => {
    const config = loadConfig({ LOG_FORMAT: "none", ...env });
    return createGuards({ authenticator: {} as Authenticator, config }).responses(listProspectsResponses);
  };

  test("development and tests validate; production does not, unless it serves /docs or RESPONSE_VALIDATION=true", () => {
    expect(responsesUnder({ NODE_ENV: "development" })).toBe(listProspectsResponses);
    expect(responsesUnder({ NODE_ENV: "test" })).toBe(listProspectsResponses);
    expect(responsesUnder(production)).toBeUndefined();
    expect(responsesUnder({ ...production, DOCS_ENABLED: "true" })).toBe(listProspectsResponses);
    expect(responsesUnder({ ...production, RESPONSE_VALIDATION: "true" })).toBe(listProspectsResponses);
    expect(responsesUnder({ NODE_ENV: "development", RESPONSE_VALIDATION: "false" })).toBe(listProspectsResponses);
  });
});
