import { describe, expect, test } from "bun:test";
import { createUsageBuffer } from "../../src/observability/usage-buffer";

const push = (buffer: ReturnType<typeof createUsageBuffer>, n: number, at = Date.UTC(2026, 11, 1, 9, 0, 0, 7)) =>
  buffer.push("user-1", "org-1", null, "/api/v1/me", "GET", 200, 1.23456, `req_${n}`, undefined, at);

describe("usage rows kept as columns", () => {
  test("gives the rows oldest first as the repository's columns, after the ring wrapped", () => {
    const buffer = createUsageBuffer(3);
    for (const n of [1, 2, 3]) expect(push(buffer, n)).toBe(true);
    expect(push(buffer, 4)).toBe(false);
    buffer.drop(2);
    for (const n of [5, 6]) expect(push(buffer, n)).toBe(true);
    const batch = buffer.batch(3);
    const at = Date.UTC(2026, 11, 1, 9, 0, 0, 7);
    expect(batch.requestId).toEqual(["req_3", "req_5", "req_6"]);
    expect(batch.id).toHaveLength(3);
    for (const id of batch.id)
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    for (const traceId of batch.traceId) expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect({ ...batch, id: undefined, traceId: undefined }).toEqual({
      id: undefined,
      userId: ["user-1", "user-1", "user-1"],
      organizationId: ["org-1", "org-1", "org-1"],
      apiKeyId: [null, null, null],
      endpoint: ["/api/v1/me", "/api/v1/me", "/api/v1/me"],
      method: ["GET", "GET", "GET"],
      statusCode: Uint16Array.of(200, 200, 200),
      responseTimeMs: Float64Array.of(1.235, 1.235, 1.235),
      requestId: ["req_3", "req_5", "req_6"],
      traceId: undefined,
      createdAtMs: Float64Array.of(at, at, at),
      firstAttempt: true,
    });
  });

  test("gives a row the same id and trace id when its batch is made again, and says it is not a first attempt", () => {
    const buffer = createUsageBuffer(10);
    for (const n of [1, 2]) push(buffer, n);
    const first = buffer.batch(2);
    push(buffer, 3);
    const again = buffer.batch(3);
    expect(again.id.slice(0, 2)).toEqual([...first.id]);
    expect(again.traceId.slice(0, 2)).toEqual([...first.traceId]);
    expect(new Set(again.id).size).toBe(3);
    expect([first.firstAttempt, again.firstAttempt]).toEqual([true, false]);
    buffer.drop(3);
    push(buffer, 4);
    expect(buffer.batch(1).firstAttempt).toBe(true);
  });
});
