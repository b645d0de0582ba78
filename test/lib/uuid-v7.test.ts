import { describe, expect, test } from "bun:test";
import { uuidsV7 } from "../../src/lib/uuid-v7";

const uuidV7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const timeOf = (id: string) => Number.parseInt(id.replace("-", "").slice(0, 12), 16);

describe("UUIDv7s made in a batch", () => {
  test("are version 7, variant 10, carry their own millisecond, and are all different", () => {
    const times = [Date.UTC(2026, 11, 1, 9, 0, 0, 7), 0, 2 ** 48 - 1, ...new Array(5000).fill(Date.now())];
    const ids = uuidsV7(times);
    expect(ids).toHaveLength(times.length);
    for (const id of ids) expect(id).toMatch(uuidV7);
    expect(ids.map(timeOf)).toEqual(times);
    expect(new Set(ids).size).toBe(ids.length);
  });

  test("sort by their millisecond, as Bun's do", () => {
    const time = Date.UTC(2026, 11, 1, 9, 0, 0, 7);
    const [earlier, later] = uuidsV7([time, time + 1]) as [string, string];
    expect(earlier < later).toBe(true);
    expect(earlier.slice(0, 13)).toBe(Bun.randomUUIDv7("hex", time).slice(0, 13));
  });
});
