import { describe, expect, test } from "bun:test";
import { childTraceparent, newTraceContext, parseTraceparent } from "../../src/lib/trace-context";

const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
const parentId = "00f067aa0ba902b7";

describe("W3C traceparent", () => {
  test("reads the trace id, parent id and flags of a version 00 header", () => {
    expect(parseTraceparent(`00-${traceId}-${parentId}-01`)).toEqual({ traceId, parentId, flags: "01" });
  });

  test("reads the first four fields of a later version and ignores what follows", () => {
    expect(parseTraceparent(`01-${traceId}-${parentId}-00-more-fields`)).toEqual({ traceId, parentId, flags: "00" });
  });

  test.each([
    ["absent", null],
    ["empty", ""],
    ["uppercase", `00-${traceId.toUpperCase()}-${parentId}-01`],
    ["version ff", `ff-${traceId}-${parentId}-01`],
    ["version 00 with a fifth field", `00-${traceId}-${parentId}-01-extra`],
    ["an all-zero trace id", `00-${"0".repeat(32)}-${parentId}-01`],
    ["an all-zero parent id", `00-${traceId}-${"0".repeat(16)}-01`],
    ["a short trace id", `00-${traceId.slice(1)}-${parentId}-01`],
    ["non-hex", `00-${traceId.slice(0, 31)}g-${parentId}-01`],
    ["spaces around", ` 00-${traceId}-${parentId}-01`],
    ["over 512 characters", `01-${traceId}-${parentId}-01-${"a".repeat(512)}`],
  ])("ignores a header that is %s", (_, value) => {
    expect(parseTraceparent(value)).toBeNull();
  });

  test("makes new traces with distinct, valid 32-digit trace ids", () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newTraceContext().traceId));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{32}$/);
  });

  test("gives an outgoing call the trace id and flags, with a new parent id each time", () => {
    const first = childTraceparent({ traceId, flags: "01" });
    const second = childTraceparent({ traceId, flags: "01" });
    expect(parseTraceparent(first)).toMatchObject({ traceId, flags: "01" });
    expect(first).not.toBe(second);
  });
});
