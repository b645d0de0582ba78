import { describe, expect, test } from "bun:test";
import { isoNow } from "../../src/lib/iso-now";

describe("isoNow", () => {
  test.each([
    Date.UTC(2026, 10, 25, 22, 0, 0, 0),
    Date.UTC(2026, 10, 25, 22, 0, 0, 7),
    Date.UTC(2026, 10, 25, 22, 0, 0, 42),
    Date.UTC(2026, 10, 25, 22, 0, 0, 999),
    Date.UTC(2026, 11, 31, 23, 59, 59, 999),
    Date.UTC(2027, 0, 1, 0, 0, 0, 1),
  ])("writes %p as toISOString does, across seconds, days and years", (ms) => {
    expect(isoNow(ms)).toBe(new Date(ms).toISOString());
  });

  test("defaults to now", () => {
    const before = Date.now();
    const stamp = Date.parse(isoNow());
    expect(stamp).toBeGreaterThanOrEqual(before);
    expect(stamp).toBeLessThanOrEqual(Date.now());
  });
});
