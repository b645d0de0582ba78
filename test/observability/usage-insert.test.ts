import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { toNumber } from "../../src/db/values";
import { createUsageRepository, type UsageRow, usageColumns } from "../../src/modules/usage/repository";
import { createTestDatabase, dialects, type TestDatabase } from "../helpers/database";

// Values a Postgres array literal must quote or escape, and SQLite's JSON must carry as they are.
const awkward = ['a"b', "back\\slash", "com,ma", "{brace}", "two words", "NULL", "null", ""];

const row = (requestId: string, n: number): UsageRow => ({
  id: `0190f0d2-0000-7000-8000-${String(n).padStart(12, "0")}`,
  userId: n % 2 === 0 ? null : "user-1",
  organizationId: "org-1",
  apiKeyId: null,
  endpoint: "/api/v1/prospects/:id",
  method: "GET",
  statusCode: 200 + n,
  responseTimeMs: 1.25 * n,
  requestId,
  traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
  createdAt: `2026-12-01T09:00:0${n % 10}.00${n % 10}Z`,
});

describe.each(dialects)("usage rows written in one statement on %s", (dialect) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase(dialect);
  });
  afterAll(() => database.drop());

  test("stores every value as sent: quotes, backslashes, commas, braces, blanks, NULL-like words, nulls", async () => {
    const rows = awkward.map((requestId, n) => row(requestId, n));
    await createUsageRepository(database.db).insertMany(rows);
    const stored = await database.db.sql`
      SELECT id, user_id, request_id, status_code, response_time_ms FROM api_usage ORDER BY id`;
    expect(
      stored.map((r: Record<string, unknown>) => [
        r.id,
        r.user_id,
        r.request_id,
        toNumber(r.status_code),
        toNumber(r.response_time_ms),
      ]),
    ).toEqual(rows.map((r) => [r.id, r.userId, r.requestId, r.statusCode, r.responseTimeMs]));
  });

  test("skips rows whose id is already written, and writes the others of the batch", async () => {
    const again = [row("retried", 0), row("new", 20)];
    await createUsageRepository(database.db).insertMany(again);
    const [{ n }] = await database.db.sql`SELECT COUNT(*) AS n FROM api_usage`;
    expect(toNumber(n)).toBe(awkward.length + 1);
    const [first] = await database.db.sql`SELECT request_id FROM api_usage WHERE id = ${again[0]?.id}`;
    expect(first.request_id).toBe('a"b');
  });

  test("stores the words NULL and null and a blank among plain values as sent, apart from a null, on a first attempt", async () => {
    // No character here needs quoting, so only the words and the blank do: request ids may be
    // "NULL" (a client's X-Request-Id), and a user id that is the word is not a missing one.
    const requestIds = ["req_1", "NULL", "null", "Null", "", "req_2"];
    const rows = requestIds.map((requestId, n) => ({ ...row(requestId, 30 + n), userId: n === 1 ? "NULL" : null }));
    await createUsageRepository(database.db).insertColumns({ ...usageColumns(rows), firstAttempt: true });
    const stored = await database.db.sql`
      SELECT user_id, request_id FROM api_usage WHERE id >= ${rows[0]?.id} ORDER BY id`;
    expect(stored.map((r: Record<string, unknown>) => [r.user_id, r.request_id])).toEqual(
      rows.map((r) => [r.userId, r.requestId]),
    );
  });

  const stored = (from: string) =>
    database.db.sql`
      SELECT id, user_id, organization_id, api_key_id, endpoint, method, status_code, response_time_ms,
             request_id, trace_id, created_at
      FROM api_usage WHERE id >= ${from} ORDER BY id`;
  const asRows = (found: Record<string, unknown>[]) =>
    found.map((r) => ({
      id: r.id,
      userId: r.user_id,
      organizationId: r.organization_id,
      apiKeyId: r.api_key_id,
      endpoint: r.endpoint,
      method: r.method,
      statusCode: toNumber(r.status_code),
      responseTimeMs: toNumber(r.response_time_ms),
      requestId: r.request_id,
      traceId: r.trace_id,
      createdAt: new Date(r.created_at as string).toISOString(),
    }));

  test("a batch of ordinary values comes back value for value: nulls, the word NULL, fractions, milliseconds", async () => {
    const rows = Array.from({ length: 500 }, (_, n) => ({
      ...row(`req_${n}`, 100 + n),
      userId: [null, "NULL", "user-1"][n % 3] ?? null,
      organizationId: n % 5 === 0 ? null : "org-1",
      apiKeyId: n % 7 === 0 ? "key-7" : null,
      method: n % 2 === 0 ? "GET" : "POST",
      statusCode: [200, 201, 404, 503][n % 4] as number,
      responseTimeMs: n / 8 + 0.001,
      createdAt: new Date(Date.UTC(2026, 11, 1, 9) + n * 37).toISOString(),
    }));
    await createUsageRepository(database.db).insertColumns({ ...usageColumns(rows), firstAttempt: true });
    expect(asRows(await stored(rows[0]?.id as string))).toEqual(rows);
  });

  test("a value holding the unit separator (U+001F) is stored whole, with the rest of its batch", async () => {
    const rows = [0, 1, 2].map((n) => ({
      ...row(`req_sep_${n}`, 700 + n),
      endpoint: n === 1 ? "/odd\u001fpath" : "/api/v1/me",
    }));
    await createUsageRepository(database.db).insertColumns({ ...usageColumns(rows), firstAttempt: true });
    expect(asRows(await stored(rows[0]?.id as string))).toEqual(rows);
  });

  test("a batch of one row whose optional ids are all missing is one row of nulls", async () => {
    const rows = [{ ...row("req_single", 800), userId: null, organizationId: null, apiKeyId: null }];
    await createUsageRepository(database.db).insertColumns({ ...usageColumns(rows), firstAttempt: true });
    expect(asRows(await stored(rows[0]?.id as string))).toEqual(rows);
  });
});
