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
});
