import { describe, expect, test } from "bun:test";
import type { WriteGenerations } from "../../src/modules/organizations/write-generations";
import { createPageCache } from "../../src/modules/prospects/page-cache";

/** Generations held in this process: the cache's own bookkeeping, without Redis in the way. */
function localGenerations(): WriteGenerations {
  const current = new Map<string, number>();
  return {
    current: async (organizationId) => String(current.get(organizationId) ?? 0),
    advance: async (organizationId) => {
      current.set(organizationId, (current.get(organizationId) ?? 0) + 1);
      return true;
    },
  };
}

/** A loader that counts its reads and returns a page of `size` characters of JSON. */
function loader(size = 100) {
  let reads = 0;
  return {
    get reads() {
      return reads;
    },
    load: async () => {
      reads += 1;
      await Bun.sleep(1);
      return { data: "x".repeat(size - 10), n: reads };
    },
  };
}

describe("the page cache's bounds", () => {
  test("concurrent misses of one page share one read", async () => {
    const pages = createPageCache({ generations: localGenerations(), ttlMs: 10_000, maxChars: 10_000 });
    const source = loader();
    const results = await Promise.all(Array.from({ length: 20 }, () => pages.read("org", "q", source.load)));
    expect(source.reads).toBe(1);
    expect(new Set(results).size).toBe(1);
  });

  test("a changed generation is read again, and the pages of other organizations stay", async () => {
    const generations = localGenerations();
    const pages = createPageCache({ generations, ttlMs: 10_000, maxChars: 10_000 });
    const source = loader();
    await pages.read("a", "q", source.load);
    await pages.read("b", "q", source.load);
    await pages.changed("a");
    await pages.read("a", "q", source.load);
    await pages.read("b", "q", source.load);
    expect(source.reads).toBe(3);
  });

  test("past maxChars the oldest pages go, and a page larger than the bound is never kept", async () => {
    const pages = createPageCache({ generations: localGenerations(), ttlMs: 10_000, maxChars: 250 });
    const source = loader(100);
    for (const query of ["1", "2", "3"]) await pages.read("org", query, source.load);
    expect(pages.stats().pages).toBe(2);
    expect(pages.stats().chars).toBeLessThanOrEqual(250);
    // "1" went first; "3" is still there.
    await pages.read("org", "3", source.load);
    expect(source.reads).toBe(3);
    await pages.read("org", "1", source.load);
    expect(source.reads).toBe(4);

    const huge = loader(1000);
    await pages.read("org", "huge", huge.load);
    await pages.read("org", "huge", huge.load);
    expect(huge.reads).toBe(2);
    expect(pages.stats().chars).toBeLessThanOrEqual(250);
  });

  test("a read that fails is not kept: the next request reads again", async () => {
    const pages = createPageCache({ generations: localGenerations(), ttlMs: 10_000, maxChars: 10_000 });
    let reads = 0;
    const failing = async () => {
      reads += 1;
      throw new Error("database down");
    };
    await expect(pages.read("org", "q", failing)).rejects.toThrow("database down");
    await expect(pages.read("org", "q", failing)).rejects.toThrow("database down");
    expect(reads).toBe(2);
    expect(pages.stats().pages).toBe(0);
  });

  test("without generations nothing is cached", async () => {
    const pages = createPageCache({ ttlMs: 10_000, maxChars: 10_000 });
    const source = loader();
    await pages.read("org", "q", source.load);
    await pages.read("org", "q", source.load);
    expect(source.reads).toBe(2);
  });
});
