import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { App } from "../../src/app";
import { createUsageRepository, type UsageRow } from "../../src/modules/usage/repository";
import { buildTestApp, expectErrorEnvelope } from "../helpers/app";
import { createTestDatabase, dialects, type TestDatabase } from "../helpers/database";
import {
  bearer,
  cheapHashEnv,
  jsonRequest,
  login,
  type SeededOrganization,
  seedOrganization,
} from "../helpers/fixtures";

const hour = 3600_000;

interface UsageReport {
  from: string;
  to: string;
  totals: Record<string, number>;
  endpoints: Array<Record<string, string | number>>;
}
const reportOf = async (response: Response) => ((await response.json()) as { data: UsageReport }).data;

function usageRow(
  organizationId: string | null,
  fields: Partial<UsageRow> & Pick<UsageRow, "endpoint" | "method">,
): UsageRow {
  return {
    id: Bun.randomUUIDv7(),
    userId: null,
    apiKeyId: null,
    organizationId,
    statusCode: 200,
    responseTimeMs: 1,
    requestId: `req_${Bun.randomUUIDv7()}`,
    traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
    createdAt: new Date(Date.now() - hour).toISOString(),
    ...fields,
  };
}

describe.each(dialects)("GET /api/v1/usage on %s", (dialect) => {
  let database: TestDatabase;
  let app: App;
  let acme: SeededOrganization;
  let admin: string;

  const usage = async (query = "", token = admin) =>
    app.handle(jsonRequest("GET", `/api/v1/usage${query}`, undefined, bearer(token)));

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    app = buildTestApp({ env: cheapHashEnv, deps: { db: database.db } }).app;
    acme = await seedOrganization(database.db, "Acme");
    const other = await seedOrganization(database.db, "Other");
    admin = (await login(app, acme.admin)).accessToken;

    // 100 reads taking 1..100 ms (shuffled): 10 answered 404, 5 answered 500.
    const durations = Array.from({ length: 100 }, (_, i) => i + 1).sort(() => Math.random() - 0.5);
    const reads = durations.map((ms, i) =>
      usageRow(acme.id, {
        endpoint: "/api/v1/prospects/:id",
        method: "GET",
        responseTimeMs: ms,
        statusCode: i < 10 ? 404 : i < 15 ? 500 : 200,
        userId: acme.user.id,
      }),
    );
    const writes = [10, 30, 20].map((ms) =>
      usageRow(acme.id, { endpoint: "/api/v1/prospects", method: "POST", responseTimeMs: ms, statusCode: 201 }),
    );
    await createUsageRepository(database.db).insertMany([
      ...reads,
      ...writes,
      usageRow(acme.id, {
        endpoint: "/api/v1/prospects/:id",
        method: "GET",
        responseTimeMs: 1000,
        createdAt: new Date(Date.now() - 25 * hour).toISOString(),
      }),
      ...Array.from({ length: 7 }, () => usageRow(other.id, { endpoint: "/api/v1/me", method: "GET" })),
      usageRow(null, { endpoint: "/api/v1/me", method: "GET", statusCode: 401 }),
    ]);
  });
  afterAll(() => database.drop());

  test("reports the last 24 hours of the caller's organization per endpoint: counts, error rate, p50 and p95", async () => {
    const response = await usage();
    expect(response.status).toBe(200);
    const body = (await response.json()) as { success: boolean; data: UsageReport };
    expect(body).toEqual({
      success: true,
      data: {
        from: expect.any(String),
        to: expect.any(String),
        totals: { requests: 103, clientErrors: 10, serverErrors: 5, errorRate: 0.1456 },
        endpoints: [
          {
            method: "GET",
            endpoint: "/api/v1/prospects/:id",
            requests: 100,
            clientErrors: 10,
            serverErrors: 5,
            errorRate: 0.15,
            p50Ms: 50,
            p95Ms: 95,
          },
          {
            method: "POST",
            endpoint: "/api/v1/prospects",
            requests: 3,
            clientErrors: 0,
            serverErrors: 0,
            errorRate: 0,
            p50Ms: 20,
            p95Ms: 30,
          },
        ],
      },
    });
    const to = Date.parse(body.data.to);
    expect(Math.abs(to - Date.now())).toBeLessThan(5000);
    expect(to - Date.parse(body.data.from)).toBe(24 * hour);
  });

  test("takes from and to as ISO date-times and normalises them to UTC", async () => {
    const from = new Date(Date.now() - 26 * hour);
    const to = new Date(Date.now() + hour);
    const offset = (d: Date) => `${new Date(d.getTime() + 2 * hour).toISOString().slice(0, 19)}+02:00`;
    const response = await usage(`?from=${encodeURIComponent(offset(from))}&to=${encodeURIComponent(offset(to))}`);
    expect(response.status).toBe(200);
    const data = await reportOf(response);
    expect(data.from).toBe(`${from.toISOString().slice(0, 19)}.000Z`);
    expect(data.endpoints[0]).toMatchObject({ endpoint: "/api/v1/prospects/:id", requests: 101, p95Ms: 96 });
  });

  test("reports nothing for a range without requests", async () => {
    const response = await usage("?from=2020-01-01T00:00:00Z&to=2020-01-02T00:00:00Z");
    const data = await reportOf(response);
    expect(data).toEqual({
      from: "2020-01-01T00:00:00.000Z",
      to: "2020-01-02T00:00:00.000Z",
      totals: { requests: 0, clientErrors: 0, serverErrors: 0, errorRate: 0 },
      endpoints: [],
    });
  });

  test.each([
    ["a from that is not a date-time", "?from=yesterday", { from: ["From must be an ISO 8601 date-time"] }],
    ["a to without a time zone", "?to=2026-01-01T00:00:00", { to: ["To must be an ISO 8601 date-time"] }],
    ["a to before from", "?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z", { to: ["To must be after from"] }],
    [
      "a range over 31 days",
      "?from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:01Z",
      { from: ["The range must not exceed 31 days"] },
    ],
  ])("refuses %s with 422", async (_, query, errors) => {
    const body = await expectErrorEnvelope(await usage(query), 422, "ValidationError");
    expect(body.errors).toEqual(errors);
  });

  test("accepts a range of exactly 31 days", async () => {
    expect((await usage("?from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z")).status).toBe(200);
  });

  test("is for admins only: 403 for a user or viewer, 401 without credentials", async () => {
    for (const member of [acme.user, acme.viewer]) {
      const token = (await login(app, member)).accessToken;
      await expectErrorEnvelope(await usage("", token), 403, "Forbidden");
    }
    await expectErrorEnvelope(await app.handle(jsonRequest("GET", "/api/v1/usage")), 401, "Unauthorized");
  });
});
