import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { dialects } from "../helpers/database";
import { insertProspects, json, type ProspectSeed, type ProspectsSetup, setupProspects } from "./support";

interface Page {
  data: { id: string }[];
  meta: { limit: number; nextCursor: string | null; hasMore: boolean };
}

const total = 10_000;
const start = Date.UTC(2025, 0, 1);

describe.each(dialects)("paging through 10,000 prospects on %s", (dialect) => {
  let s: ProspectsSetup;
  const originals = new Set<string>();
  let inserted = 0;

  /** Rows anywhere in the time range and score range, so that some land on pages still to come. */
  const newcomers = (count: number): ProspectSeed[] =>
    Array.from({ length: count }, () => {
      const n = inserted++;
      return {
        email: `newcomer${n}@example.com`,
        score: (n * 37) % 101,
        createdAt: new Date(start + ((n * 7919) % total) * 60_000 + 30_000).toISOString(),
      };
    });

  beforeAll(async () => {
    s = await setupProspects(dialect);
    const seeds = Array.from({ length: total }, (_, i) => ({
      email: `original${i}@example.com`,
      score: i % 101,
      // Each minute holds one row; scores repeat ~100 times, so the id breaks most score ties.
      createdAt: new Date(start + i * 60_000).toISOString(),
    }));
    await insertProspects(s.database.db, s.org.id, seeds);
    const rows = await s.database.db.sql<{ id: string }[]>`select id from prospects`;
    for (const row of rows) originals.add(row.id);
    expect(originals.size).toBe(total);
  });
  afterAll(() => s.database.drop());

  test.each(["-createdAt", "createdAt", "-score", "score"])(
    "with limit 100 and sort %s, every original row comes exactly once while rows are being inserted",
    async (sort) => {
      const seen = new Map<string, number>();
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query: string = `/api/v1/prospects?limit=100&sort=${sort}${cursor ? `&cursor=${cursor}` : ""}`;
        const response = await s.call("GET", query, s.as.viewer);
        expect(response.status).toBe(200);
        const page: Page = await json<Page>(response);
        expect(page.data.length).toBeLessThanOrEqual(100);
        for (const { id } of page.data) seen.set(id, (seen.get(id) ?? 0) + 1);
        cursor = page.meta.nextCursor;
        pages++;
        // Others keep adding prospects while this client pages.
        await insertProspects(s.database.db, s.org.id, newcomers(3));
      } while (cursor);

      const originalsSeen = [...seen].filter(([id]) => originals.has(id));
      expect(originalsSeen.length).toBe(total);
      expect(originalsSeen.every(([, count]) => count === 1)).toBe(true);
      expect([...seen.values()].every((count) => count === 1)).toBe(true);
      expect(pages).toBeGreaterThanOrEqual(total / 100);
    },
  );
});
