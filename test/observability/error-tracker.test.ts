import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Event } from "@sentry/bun";
import type { App } from "../../src/app";
import { createErrorTracker, type ErrorTracker } from "../../src/observability/error-tracker";
import { createMemoryLogger } from "../../src/observability/logger";
import { buildTestApp, expectErrorEnvelope, testConfig } from "../helpers/app";
import { createTestDatabase, type TestDatabase } from "../helpers/database";
import { cheapHashEnv, jsonRequest, login, type SeededOrganization, seedOrganization } from "../helpers/fixtures";
import { type SentryReceiver, startSentryReceiver } from "./sentry-receiver";

// Sentry.init is process-wide: this file builds one tracker, pointed at its own receiver.
describe("Sentry error tracking", () => {
  const release = "revenue-api@9.9.9-test";
  const cookie = "session=cookie-secret-value-123";
  const apiKeyHeader = "sk_live_headersecretvalue0123456789";
  let receiver: SentryReceiver;
  let tracker: ErrorTracker;
  let database: TestDatabase;
  let app: App;
  let org: SeededOrganization;
  let tokens: { accessToken: string; refreshToken: string };

  const eventFor = (requestId: string) => {
    const events = receiver.events().filter((e) => e.tags?.request_id === requestId);
    const envelopes = receiver.envelopes.filter((e) => e.raw.includes(requestId));
    return { events, raw: envelopes.map((e) => e.raw).join("\n") };
  };

  beforeAll(async () => {
    receiver = startSentryReceiver();
    tracker = createErrorTracker(testConfig({ SENTRY_DSN: receiver.dsn, RELEASE: release }), createMemoryLogger());
    database = await createTestDatabase("sqlite");
    app = buildTestApp({ env: cheapHashEnv, deps: { db: database.db, onServerError: tracker.capture } }).app;
    org = await seedOrganization(database.db, "Tracked");
    tokens = await login(app, org.admin);
    // Authenticate once so the principal is cached, then break the database under the routes.
    const me = await app.handle(
      jsonRequest("GET", "/api/v1/me", undefined, { authorization: `Bearer ${tokens.accessToken}` }),
    );
    expect(me.status).toBe(200);
    await database.db.sql`ALTER TABLE users RENAME TO users_gone`;
  });
  afterAll(async () => {
    await tracker.close();
    await receiver.close();
    await database.drop();
  });

  test("puts the trace id of the request's traceparent in the event's tags and trace context", async () => {
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const response = await app.handle(
      jsonRequest("GET", "/api/v1/users", undefined, {
        authorization: `Bearer ${tokens.accessToken}`,
        traceparent: `00-${traceId}-00f067aa0ba902b7-01`,
      }),
    );
    const body = await expectErrorEnvelope(response, 500, "InternalServerError");
    expect(await tracker.flush()).toBe(true);
    const [event] = eventFor(body.requestId as string).events;
    expect(event?.tags?.trace_id).toBe(traceId);
    expect(event?.contexts?.trace?.trace_id).toBe(traceId);
  });

  test("ignores an invalid traceparent: the event carries a trace id of its own, not the value sent", async () => {
    const sent = "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01";
    const response = await app.handle(
      jsonRequest("GET", "/api/v1/users", undefined, {
        authorization: `Bearer ${tokens.accessToken}`,
        traceparent: sent,
      }),
    );
    const body = await expectErrorEnvelope(response, 500, "InternalServerError");
    expect(await tracker.flush()).toBe(true);
    const { events } = eventFor(body.requestId as string);
    expect(events[0]?.tags?.trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect(events[0]?.tags?.trace_id).not.toBe(sent.split("-")[1]?.toLowerCase());
    expect(events[0]?.contexts?.trace?.trace_id).toBe(events[0]?.tags?.trace_id as string);
  });

  test("sends a 500 once, tagged with request id, route, method, user and organization, environment and release", async () => {
    const response = await app.handle(
      jsonRequest("GET", "/api/v1/users", undefined, {
        authorization: `Bearer ${tokens.accessToken}`,
        cookie,
        "x-api-key": apiKeyHeader,
        "x-forwarded-for": "203.0.113.9",
        "user-agent": "tracker-test/1.0",
      }),
    );
    const body = await expectErrorEnvelope(response, 500, "InternalServerError");
    expect(await tracker.flush()).toBe(true);

    const { events } = eventFor(body.requestId as string);
    expect(events).toHaveLength(1);
    const event = events[0] as Event;
    expect(event.tags).toEqual({
      request_id: body.requestId as string,
      route: "/api/v1/users",
      method: "GET",
      status_code: "500",
      organization_id: org.id,
      principal_kind: "user",
      // No traceparent came: the request got a trace of its own, and the event joins it.
      trace_id: expect.stringMatching(/^[0-9a-f]{32}$/),
    });
    expect(event.contexts?.trace?.trace_id).toBe(event.tags?.trace_id as string);
    expect(event.user).toEqual({ id: org.admin.id });
    expect(event.environment).toBe("test");
    expect(event.release).toBe(release);
    expect(event.level).toBe("error");
    const exception = event.exception?.values?.at(-1);
    expect(exception?.value).toContain("no such table: users");
    expect(exception?.mechanism).toEqual({ type: "elysia.onError", handled: false });
    expect(exception?.stacktrace?.frames?.length).toBeGreaterThan(0);
    expect(event.request).toEqual({
      method: "GET",
      url: "http://localhost/api/v1/users",
      headers: {
        authorization: "[Filtered]",
        cookie: "[Filtered]",
        "x-api-key": "[Filtered]",
        "user-agent": "tracker-test/1.0",
      },
    });
  });

  test("sends no token, cookie, API key, email or client address with the event", async () => {
    const response = await app.handle(
      jsonRequest("GET", "/api/v1/users", undefined, {
        authorization: `Bearer ${tokens.accessToken}`,
        cookie,
        "x-api-key": apiKeyHeader,
        "x-forwarded-for": "203.0.113.9",
      }),
    );
    const requestId = response.headers.get("x-request-id") as string;
    await tracker.flush();
    const { events, raw } = eventFor(requestId);
    expect(events).toHaveLength(1);
    for (const secret of [
      tokens.accessToken,
      "cookie-secret-value-123",
      apiKeyHeader,
      org.admin.email,
      "203.0.113.9",
    ]) {
      expect(raw).not.toContain(secret);
    }
  });

  test("never sends the body of a failed login: no password, no email", async () => {
    const password = "hunter2-login-secret";
    const response = await app.handle(jsonRequest("POST", "/api/v1/auth/login", { email: org.user.email, password }));
    const body = await expectErrorEnvelope(response, 500, "InternalServerError");
    await tracker.flush();
    const { events, raw } = eventFor(body.requestId as string);
    expect(events).toHaveLength(1);
    const event = events[0] as Event;
    expect(event.tags?.route).toBe("/api/v1/auth/login");
    expect(event.request?.data).toBeUndefined();
    expect(raw).not.toContain(password);
    expect(raw).not.toContain(org.user.email);
  });

  test("sends nothing for 4xx responses", async () => {
    const responses = await Promise.all([
      app.handle(jsonRequest("GET", "/api/v1/nowhere")),
      app.handle(jsonRequest("GET", "/api/v1/me")),
      app.handle(jsonRequest("POST", "/api/v1/auth/login", { email: "nope" })),
    ]);
    expect(responses.map((r) => r.status)).toEqual([404, 401, 422]);
    await tracker.flush();
    for (const response of responses) {
      expect(eventFor(response.headers.get("x-request-id") as string).events).toHaveLength(0);
    }
  });

  test("delivers an event captured just before shutdown when the tracker closes", async () => {
    const response = await app.handle(
      jsonRequest("GET", "/api/v1/users", undefined, { authorization: `Bearer ${tokens.accessToken}` }),
    );
    expect(response.status).toBe(500);
    expect(await tracker.close(2000)).toBe(true);
    expect(eventFor(response.headers.get("x-request-id") as string).events).toHaveLength(1);
  });
});
