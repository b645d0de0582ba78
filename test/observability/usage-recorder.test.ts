import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Config } from "../../src/config";
import type { Database } from "../../src/db/database";
import { toIso, toNumber } from "../../src/db/values";
import { createApiKeyRepository } from "../../src/modules/api-keys/repository";
import { generateApiKey, hashApiKey } from "../../src/modules/auth/api-key-secret";
import { createUsageRepository } from "../../src/modules/usage/repository";
import { createMemoryLogger } from "../../src/observability/logger";
import { createUsageRecorder } from "../../src/observability/usage-recorder";
import { buildTestApp } from "../helpers/app";
import { createTestDatabase, dialects, type TestDatabase } from "../helpers/database";
import { cheapHashEnv, jsonRequest, login, type SeededOrganization, seedOrganization } from "../helpers/fixtures";
import { countingDatabase } from "./counting-database";

// Fixed secrets so that tokens from one test app are accepted by another.
const sharedEnv = {
  ...cheapHashEnv,
  JWT_SECRET: "usage-test-access-secret-0123456789abcdef",
  JWT_REFRESH_SECRET: "usage-test-refresh-secret-0123456789abcdef",
};
const manualFlush: Config["usage"] = { enabled: true, bufferMax: 10_000, flushIntervalMs: 60_000, batchSize: 500 };

describe.each(dialects)("api_usage rows on %s", (dialect) => {
  let database: TestDatabase;
  let org: SeededOrganization;
  let accessToken: string;
  let apiKey: { id: string; secret: string };

  /** An app whose usage rows go through a recorder writing to `db` (default: the test database). */
  const recordingApp = (settings: Partial<Config["usage"]> = {}, db: Database = database.db) => {
    const logger = createMemoryLogger();
    const counted = countingDatabase(db, /insert\s+into\s+api_usage/i);
    const recorder = createUsageRecorder({
      insert: createUsageRepository(counted.db).insertColumns,
      settings: { ...manualFlush, ...settings },
      logger,
    });
    const { app } = buildTestApp({ env: sharedEnv, deps: { db: database.db, observers: [recorder.observe] } });
    return { app, recorder, logger, inserts: counted.statements };
  };
  const rowCount = async () => toNumber((await database.db.sql`SELECT COUNT(*) AS n FROM api_usage`)[0].n);

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    org = await seedOrganization(database.db, "Usage Co");
    const { app } = buildTestApp({ env: sharedEnv, deps: { db: database.db } });
    accessToken = (await login(app, org.admin)).accessToken;
    const secret = generateApiKey();
    const key = await createApiKeyRepository(database.db).create({
      id: Bun.randomUUIDv7(),
      organizationId: org.id,
      createdBy: org.user.id,
      name: "usage test",
      prefix: secret.slice(0, 12),
      keyHash: hashApiKey(secret),
      role: "user",
      expiresAt: null,
    });
    apiKey = { id: key.id, secret };
  });
  afterAll(() => database.drop());

  test("records the trace id of the request's traceparent, or one made for it when it sent none or an invalid one", async () => {
    await database.db.sql`DELETE FROM api_usage`;
    const { app, recorder } = recordingApp();
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const traced = await app.handle(
      jsonRequest("GET", "/api/v1/me", undefined, { traceparent: `00-${traceId}-00f067aa0ba902b7-01` }),
    );
    const untraced = await app.handle(jsonRequest("GET", "/api/v1/me"));
    const invalid = await app.handle(
      jsonRequest("GET", "/api/v1/me", undefined, { traceparent: `00-${traceId.toUpperCase()}-00f067aa0ba902b7-01` }),
    );
    await Bun.sleep(5);
    await recorder.flush();
    const rows: { request_id: string; trace_id: string }[] = await database.db.sql`
      SELECT request_id, trace_id FROM api_usage`;
    const traceOf = (response: Response) =>
      rows.find((row) => row.request_id === response.headers.get("x-request-id"))?.trace_id;
    expect(traceOf(traced)).toBe(traceId);
    expect(traceOf(untraced)).toMatch(/^[0-9a-f]{32}$/);
    expect(traceOf(invalid)).toMatch(/^[0-9a-f]{32}$/);
    expect(traceOf(invalid)).not.toBe(traceId);
    expect(new Set(rows.map((row) => row.trace_id)).size).toBe(3);
  });

  test("writes one row per /api/v1 request, 1,000 requests in fewer than 10 INSERT statements", async () => {
    await database.db.sql`DELETE FROM api_usage`;
    const { app, recorder, inserts } = recordingApp();
    const admin = { authorization: `Bearer ${accessToken}` };
    const byKey = { authorization: `ApiKey ${apiKey.secret}` };
    const plan = [
      ...Array.from({ length: 500 }, () => jsonRequest("GET", "/api/v1/me", undefined, admin)),
      ...Array.from({ length: 300 }, () =>
        jsonRequest("DELETE", `/api/v1/api-keys/${Bun.randomUUIDv7()}`, undefined, admin),
      ),
      ...Array.from({ length: 100 }, () => jsonRequest("GET", "/api/v1/me", undefined, byKey)),
      ...Array.from({ length: 100 }, () => jsonRequest("GET", "/api/v1/me")),
    ];
    const unrecorded = [
      ...Array.from({ length: 20 }, () => jsonRequest("GET", "/health")),
      ...Array.from({ length: 10 }, () => jsonRequest("GET", `/api/v1/nowhere/${Bun.randomUUIDv7()}`)),
      jsonRequest("GET", "/docs/json"),
    ];
    const started = Date.now();
    const requestIds: string[] = [];
    for (let i = 0; i < plan.length; i += 50) {
      const responses = await Promise.all(plan.slice(i, i + 50).map((request) => app.handle(request)));
      requestIds.push(...responses.map((r) => r.headers.get("x-request-id") as string));
    }
    await Promise.all(unrecorded.map((request) => app.handle(request)));
    await Bun.sleep(5);
    await recorder.flush();

    const groups = await database.db.sql`
      SELECT endpoint, method, status_code, user_id, organization_id, api_key_id, COUNT(*) AS n
      FROM api_usage GROUP BY endpoint, method, status_code, user_id, organization_id, api_key_id`;
    const normalized = groups.map((g: Record<string, unknown>) => ({
      ...g,
      status_code: toNumber(g.status_code),
      n: toNumber(g.n),
    }));
    const inOrder = (list: object[]) => list.map((item) => JSON.stringify(item)).sort();
    const group = (
      endpoint: string,
      method: string,
      status: number,
      n: number,
      by?: Record<string, string | null>,
    ) => ({
      endpoint,
      method,
      status_code: status,
      user_id: null,
      organization_id: null,
      api_key_id: null,
      ...by,
      n,
    });
    const asAdmin = { user_id: org.admin.id, organization_id: org.id };
    expect(inOrder(normalized)).toEqual(
      inOrder([
        group("/api/v1/api-keys/:id", "DELETE", 404, 300, asAdmin),
        group("/api/v1/me", "GET", 200, 500, asAdmin),
        group("/api/v1/me", "GET", 200, 100, { user_id: org.user.id, organization_id: org.id, api_key_id: apiKey.id }),
        group("/api/v1/me", "GET", 401, 100),
      ]),
    );

    const rows = await database.db.sql`SELECT request_id, response_time_ms, created_at FROM api_usage`;
    expect(rows.map((r: { request_id: string }) => r.request_id).sort()).toEqual([...requestIds].sort());
    for (const row of rows) {
      expect(toNumber(row.response_time_ms)).toBeGreaterThanOrEqual(0);
      expect(toNumber(row.response_time_ms)).toBeLessThan(30_000);
      const at = Date.parse(toIso(row.created_at));
      expect(at).toBeGreaterThanOrEqual(started);
      expect(at).toBeLessThanOrEqual(Date.now());
    }
    expect(inserts()).toBeGreaterThan(0);
    expect(inserts()).toBeLessThan(10);
    expect(recorder.stats()).toEqual({ buffered: 0, written: 1000, dropped: 0, failedInserts: 0 });
    await recorder.close();
  });

  test("writes a full batch at once, without waiting for the interval", async () => {
    const { app, recorder, inserts } = recordingApp({ batchSize: 10 });
    const before = await rowCount();
    for (let i = 0; i < 10; i++) await app.handle(jsonRequest("GET", "/api/v1/me"));
    await waitFor(async () => (await rowCount()) === before + 10);
    expect(inserts()).toBe(1);
    await recorder.close();
  });

  test("writes what waits every flush interval", async () => {
    const { app, recorder } = recordingApp({ flushIntervalMs: 50 });
    const before = await rowCount();
    for (let i = 0; i < 3; i++) await app.handle(jsonRequest("GET", "/api/v1/me"));
    await waitFor(async () => (await rowCount()) === before + 3);
    await recorder.close();
  });

  test("writes the rows left in the buffer when it closes (shutdown)", async () => {
    const { app, recorder } = recordingApp();
    const before = await rowCount();
    for (let i = 0; i < 3; i++) await app.handle(jsonRequest("GET", "/api/v1/me"));
    await Bun.sleep(5);
    expect(await rowCount()).toBe(before);
    await recorder.close();
    expect(await rowCount()).toBe(before + 3);
  });
});

/** Polls until `check` holds, for up to two seconds. */
async function waitFor(check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 2000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not met within 2 s");
    await Bun.sleep(10);
  }
}
