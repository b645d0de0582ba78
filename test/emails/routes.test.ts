import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { App } from "../../src/app";
import { createMemoryLogger } from "../../src/observability/logger";
import { createRateLimiter } from "../../src/ratelimit/limiter";
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
import { dataOf, type EmailJson, insertProspect, type ListJson } from "./support";

describe.each(dialects)("emails API on %s", (dialect) => {
  let database: TestDatabase;
  let app: App;
  let acme: SeededOrganization;
  let globex: SeededOrganization;
  let userToken: string;
  let viewerToken: string;
  let prospectId: string;
  let otherProspectId: string;
  let foreignProspectId: string;

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    app = buildTestApp({ env: cheapHashEnv, deps: { db: database.db } }).app;
    acme = await seedOrganization(database.db, "Acme");
    globex = await seedOrganization(database.db, "Globex");
    userToken = (await login(app, acme.user)).accessToken;
    viewerToken = (await login(app, acme.viewer)).accessToken;
    prospectId = await insertProspect(database.db, acme.id, { email: "ada@lovelace.example", firstName: "Ada" });
    otherProspectId = await insertProspect(database.db, acme.id, { email: "alan@turing.example" });
    foreignProspectId = await insertProspect(database.db, globex.id, { email: "grace@globex.example" });
  });
  afterAll(() => database.drop());

  const send = (body: unknown, token = userToken) =>
    app.handle(jsonRequest("POST", "/api/v1/emails", body, bearer(token)));
  const emailCount = async () => Number((await database.db.sql`SELECT count(*) AS n FROM emails`)[0].n);
  const get = (path: string, token = userToken) =>
    app.handle(new Request(`http://localhost${path}`, { headers: bearer(token) }));

  test("queues an email to the prospect's address and answers 202 with it", async () => {
    const response = await send({ prospectId, subject: "Hello Ada", text: "Plain body", html: "<p>HTML body</p>" });
    expect(response.status).toBe(202);
    const body = (await response.json()) as { success: boolean; data: EmailJson };
    expect(body.success).toBe(true);
    const email = body.data;
    expect(response.headers.get("location")).toBe(`/api/v1/emails/${email.id}`);
    expect(email).toEqual({
      id: expect.any(String),
      prospectId,
      to: "ada@lovelace.example",
      subject: "Hello Ada",
      text: "Plain body",
      html: "<p>HTML body</p>",
      status: "queued",
      attempts: 0,
      lastError: null,
      messageId: null,
      nextAttemptAt: email.createdAt,
      sentAt: null,
      createdAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
      updatedAt: email.createdAt,
    });
    const rows = await database.db.sql`SELECT created_by, api_key_id, status FROM emails WHERE id = ${email.id}`;
    expect(rows[0]).toEqual({ created_by: acme.user.id, api_key_id: null, status: "queued" });
  });

  test("records the API key that queued an email", async () => {
    const adminToken = (await login(app, acme.admin)).accessToken;
    const created = await app.handle(jsonRequest("POST", "/api/v1/api-keys", { name: "CRM" }, bearer(adminToken)));
    const key = await dataOf<{ id: string; key: string }>(created);
    const response = await app.handle(
      jsonRequest(
        "POST",
        "/api/v1/emails",
        { prospectId, subject: "Via key", text: "Body" },
        { authorization: `ApiKey ${key.key}` },
      ),
    );
    expect(response.status).toBe(202);
    const { id } = await dataOf(response);
    const rows = await database.db.sql`SELECT created_by, api_key_id FROM emails WHERE id = ${id}`;
    expect(rows[0]).toEqual({ created_by: acme.admin.id, api_key_id: key.id });
  });

  test("lets a user read an email of the organization; a viewer may not (contract: user or above)", async () => {
    const created = await dataOf(await send({ prospectId, subject: "Read me", text: "Body" }));
    const response = await get(`/api/v1/emails/${created.id}`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ success: true, data: created });
    await expectErrorEnvelope(await get(`/api/v1/emails/${created.id}`, viewerToken), 403, "Forbidden");
  });

  test("refuses a viewer's send with 403", async () => {
    await expectErrorEnvelope(await send({ prospectId, subject: "Hi", text: "Body" }, viewerToken), 403, "Forbidden");
  });

  test("answers another organization's prospect exactly like a missing one: 404", async () => {
    const foreign = await send({ prospectId: foreignProspectId, subject: "Hi", text: "Body" });
    const missing = await send({ prospectId: "no-such-prospect", subject: "Hi", text: "Body" });
    const a = await expectErrorEnvelope(foreign, 404, "NotFound");
    const b = await expectErrorEnvelope(missing, 404, "NotFound");
    expect(a.message).toBe("Prospect not found");
    expect(b.message).toBe(a.message);
    const rows = await database.db.sql`SELECT count(*) AS n FROM emails WHERE prospect_id = ${foreignProspectId}`;
    expect(Number(rows[0].n)).toBe(0);
  });

  test("answers another organization's email exactly like a missing one: 404", async () => {
    const globexToken = (await login(app, globex.user)).accessToken;
    const created = await dataOf(await send({ prospectId, subject: "Private", text: "Body" }));
    const foreign = await get(`/api/v1/emails/${created.id}`, globexToken);
    const missing = await get("/api/v1/emails/no-such-email", globexToken);
    const a = await expectErrorEnvelope(foreign, 404, "NotFound");
    const b = await expectErrorEnvelope(missing, 404, "NotFound");
    expect(a.message).toBe("Email not found");
    expect(b.message).toBe(a.message);
  });

  test.each([
    ["CR LF", "Hello\r\nBcc: victim@example.com"],
    ["LF", "Hello\nBcc: victim@example.com"],
    ["CR", "Hello\rBcc: victim@example.com"],
    ["NUL", "Hello\u0000"],
    ["TAB", "Hello\tthere"],
    ["DEL", "Hello\u007f"],
    ["C1 NEL (U+0085)", "Hi\u0085Bcc: victim@evil.test"],
    ["C1 U+0080", "Hi\u0080"],
    ["C1 U+008D (reverse line feed)", "Hi\u008dBcc: victim@evil.test"],
    ["C1 U+009F", "Hi\u009f"],
  ])("refuses a subject with %s (header injection) with 422 on subject, and queues nothing", async (_, subject) => {
    const before = await emailCount();
    const body = await expectErrorEnvelope(await send({ prospectId, subject, text: "Body" }), 422, "ValidationError");
    expect(body.errors).toEqual({ subject: ["Subject has an invalid format"] });
    expect(await emailCount()).toBe(before);
  });

  test("accepts a subject with non-ASCII text that is not a control character", async () => {
    const response = await send({ prospectId, subject: "Grüße, Ada — ½ price \u00a0today", text: "Body" });
    expect(response.status).toBe(202);
  });

  test.each([
    ["NEL (U+0085)", "eve@example.com\u0085Bcc: all@example.com"],
    ["U+009B", "eve\u009b@example.com"],
  ])(
    "refuses to queue for a prospect whose stored address holds a C1 control, %s: 422 on prospectId",
    async (_, email) => {
      const tainted = await insertProspect(database.db, acme.id, { email });
      const body = await expectErrorEnvelope(
        await send({ prospectId: tainted, subject: "Hi", text: "Body" }),
        422,
        "ValidationError",
      );
      expect(body.errors).toEqual({ prospectId: ["The prospect's email address cannot receive mail"] });
    },
  );

  test("refuses to queue for a prospect whose stored address could inject headers: 422 on prospectId", async () => {
    const tainted = await insertProspect(database.db, acme.id, { email: "eve@example.com\r\nBcc: all@example.com" });
    const body = await expectErrorEnvelope(
      await send({ prospectId: tainted, subject: "Hi", text: "Body" }),
      422,
      "ValidationError",
    );
    expect(body.errors).toEqual({ prospectId: ["The prospect's email address cannot receive mail"] });
  });

  test("refuses a missing text and an over-long subject with 422 naming each field", async () => {
    const response = await send({ prospectId, subject: "x".repeat(201) });
    const body = await expectErrorEnvelope(response, 422, "ValidationError");
    expect(body.errors).toEqual({
      subject: ["Subject must be at most 200 characters"],
      text: ["Text is required"],
    });
  });

  test("lists one prospect's emails, newest first, a page at a time", async () => {
    const subjects = ["first", "second", "third"];
    for (const subject of subjects) await send({ prospectId: otherProspectId, subject, text: "Body" });
    const first = await get(`/api/v1/emails?prospectId=${otherProspectId}&limit=2`);
    expect(first.status).toBe(200);
    const page1 = (await first.json()) as ListJson<EmailJson>;
    expect(page1.data.map((e) => e.subject)).toEqual(["third", "second"]);
    expect(page1.meta).toEqual({ limit: 2, nextCursor: expect.any(String), hasMore: true });

    const next = await get(`/api/v1/emails?prospectId=${otherProspectId}&limit=2&cursor=${page1.meta.nextCursor}`);
    const page2 = (await next.json()) as ListJson<EmailJson>;
    expect(page2.data.map((e) => e.subject)).toEqual(["first"]);
    expect(page2.meta).toEqual({ limit: 2, nextCursor: null, hasMore: false });
  });

  test("lists nothing for another organization's prospect", async () => {
    const globexToken = (await login(app, globex.user)).accessToken;
    const response = await get(`/api/v1/emails?prospectId=${prospectId}`, globexToken);
    expect(await response.json()).toEqual({
      success: true,
      data: [],
      meta: { limit: 20, nextCursor: null, hasMore: false },
    });
  });

  test("refuses a cursor that is not one with 422", async () => {
    const body = await expectErrorEnvelope(await get("/api/v1/emails?cursor=bogus"), 422, "ValidationError");
    expect(body.errors).toEqual({ cursor: ["is not a cursor of this list"] });
  });

  test("enforces the email quota per caller: the third send of RATE_LIMIT_EMAIL_MAX=2 is 429", async () => {
    const env = { ...cheapHashEnv, RATE_LIMIT_EMAIL_MAX: "2" };
    const limiter = createRateLimiter({ config: testConfig(env), logger: createMemoryLogger() });
    try {
      const limited = buildTestApp({ env, deps: { db: database.db, limiter } }).app;
      const token = (await login(limited, acme.user)).accessToken;
      const post = () =>
        limited.handle(
          jsonRequest("POST", "/api/v1/emails", { prospectId, subject: "Hi", text: "Body" }, bearer(token)),
        );
      expect((await post()).status).toBe(202);
      const second = await post();
      expect(second.status).toBe(202);
      expect(second.headers.get("x-ratelimit-remaining")).toBe("0");
      const third = await post();
      const body = await expectErrorEnvelope(third, 429, "TooManyRequests");
      expect(body.message).toBe("Too many requests, please try again later");
      expect(Number(third.headers.get("retry-after"))).toBeGreaterThan(0);
      // Reading is not sending: the email quota does not apply to it.
      expect(
        (await limited.handle(new Request("http://localhost/api/v1/emails", { headers: bearer(token) }))).status,
      ).toBe(200);
    } finally {
      await limiter.close();
    }
  });
});
