import { describe, expect, test } from "bun:test";
import { createUsageBuffer } from "../../src/observability/usage-buffer";

const push = (buffer: ReturnType<typeof createUsageBuffer>, n: number, at = Date.UTC(2026, 11, 1, 9, 0, 0, 7)) =>
  buffer.push("user-1", "org-1", null, "/api/v1/me", "GET", 200, 1.23456, `req_${n}`, undefined, at);

describe("usage rows kept as columns", () => {
  test("gives the rows oldest first in the repository's shape, after the ring wrapped", () => {
    const buffer = createUsageBuffer(3);
    for (const n of [1, 2, 3]) expect(push(buffer, n)).toBe(true);
    expect(push(buffer, 4)).toBe(false);
    buffer.drop(2);
    for (const n of [5, 6]) expect(push(buffer, n)).toBe(true);
    const rows = buffer.rows(3) as unknown as Array<Record<string, unknown>>;
    expect(rows.map((r) => r.requestId)).toEqual(["req_3", "req_5", "req_6"]);
    expect(rows[0]).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      userId: "user-1",
      organizationId: "org-1",
      apiKeyId: null,
      endpoint: "/api/v1/me",
      method: "GET",
      statusCode: 200,
      responseTimeMs: 1.235,
      requestId: "req_3",
      traceId: expect.stringMatching(/^[0-9a-f]{32}$/),
      createdAt: "2026-12-01T09:00:00.007Z",
    });
  });

  test("gives a row the same id and trace id when its batch is made again (a retried insert skips written ids)", () => {
    const buffer = createUsageBuffer(10);
    for (const n of [1, 2]) push(buffer, n);
    const first = buffer.rows(2);
    push(buffer, 3);
    const again = buffer.rows(3);
    expect(again.slice(0, 2).map((r) => r.id)).toEqual(first.map((r) => r.id));
    expect(again.slice(0, 2).map((r) => r.traceId)).toEqual(first.map((r) => r.traceId));
    expect(new Set(again.map((r) => r.id)).size).toBe(3);
  });
});
