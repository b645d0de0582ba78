import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { encodeCursor } from "../../src/db/cursor";
import { expectErrorEnvelope } from "../helpers/app";
import { dialects } from "../helpers/database";
import { insertProspects, json, type ProspectSeed, type ProspectsSetup, setupProspects } from "./support";

interface Listed {
  success: boolean;
  data: { id: string; email: string; score: number; createdAt: string; status: string; tags: string[] }[];
  meta: { limit: number; nextCursor: string | null; hasMore: boolean };
}

const statuses = ["new", "contacted", "qualified", "proposal", "won", "lost"];
const start = Date.UTC(2026, 0, 1);

/** 60 rows, one a day from 2026-01-01: status, score, tags and owner vary with the index. */
function rows(ownerIds: string[]): (ProspectSeed & { id: string; createdAt: string })[] {
  return Array.from({ length: 60 }, (_, i) => ({
    id: `00000000-0000-7000-8000-${String(i).padStart(12, "0")}`,
    email: `row${i}@example.com`,
    status: statuses[i % statuses.length],
    // Few distinct scores, so that paging by score has to break ties by id.
    score: (i * 7) % 5,
    tags: i % 3 === 0 ? ["vip", "inbound"] : i % 3 === 1 ? ["outbound"] : [],
    ownerId: ownerIds[i % ownerIds.length] ?? null,
    createdAt: new Date(start + i * 86_400_000).toISOString(),
  }));
}

describe.each(dialects)("listing prospects on %s", (dialect) => {
  let s: ProspectsSetup;
  let seeded: ReturnType<typeof rows>;

  const list = async (query: string) => {
    const response = await s.call("GET", `/api/v1/prospects${query}`, s.as.viewer);
    expect(response.status).toBe(200);
    return json<Listed>(response);
  };
  /** Every page of a query, following nextCursor. */
  const all = async (query: string) => {
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Listed = await list(`${query}${cursor ? `&cursor=${cursor}` : ""}`);
      ids.push(...page.data.map((item) => item.id));
      expect(page.meta.hasMore).toBe(page.meta.nextCursor !== null);
      cursor = page.meta.nextCursor;
    } while (cursor);
    return ids;
  };
  const ids = (items: { id: string }[]) => items.map((item) => item.id);
  const newestFirst = () => ids([...seeded].reverse());

  beforeAll(async () => {
    s = await setupProspects(dialect);
    seeded = rows([s.org.user.id, s.org.admin.id]);
    await insertProspects(s.database.db, s.org.id, seeded);
    await insertProspects(s.database.db, s.other.id, [{ email: "theirs@example.com", tags: ["vip"], status: "new" }]);
  });
  afterAll(() => s.database.drop());

  test("lists the newest 20 first by default, with the contract's meta", async () => {
    const page = await list("");
    expect(ids(page.data)).toEqual(newestFirst().slice(0, 20));
    expect(page.meta.limit).toBe(20);
    expect(page.meta.hasMore).toBe(true);
    expect(page.meta.nextCursor).toBeString();
  });

  test("lists each prospect exactly as GET /prospects/:id shows it: every field, in the same order", async () => {
    const full = {
      email: "ada.o'brien+list@example.com",
      firstName: 'Ada "the first"',
      lastName: "Ó Briain 🚀",
      company: "Back\\slash & Co",
      title: "Head of\nLines\tand tabs",
      phone: "+44 20 7946 0958",
      linkedinUrl: "https://www.linkedin.com/in/ada-obrien",
      status: "qualified",
      score: 97,
      tags: ["vip", 'quote"d', "ünïcode"],
      notes: "</script><b>not html</b>\u2028",
    };
    const sparse = { email: "sparse-list@example.com" };
    for (const body of [full, sparse]) {
      const created = await s.call("POST", "/api/v1/prospects", s.as.user, body);
      expect(created.status).toBe(201);
      const { data } = await json<{ data: { id: string } }>(created);
      const one = await json<{ data: Record<string, unknown> }>(
        await s.call("GET", `/api/v1/prospects/${data.id}`, s.as.viewer),
      );
      const listed = await list(`?sort=-createdAt&limit=100`);
      const item = listed.data.find((entry) => entry.id === data.id) as unknown as Record<string, unknown>;
      expect(item).toEqual(one.data);
      expect(Object.keys(item)).toEqual(Object.keys(one.data));
      const removed = await s.call("DELETE", `/api/v1/prospects/${data.id}`, s.as.user);
      expect(removed.status).toBe(200);
    }
  });

  test("follows nextCursor to the end, every row once, never another organization's", async () => {
    expect(await all("?limit=7")).toEqual(newestFirst());
  });

  test.each([
    ["createdAt", (a: ProspectSeed, b: ProspectSeed) => (a.createdAt! < b.createdAt! ? -1 : 1)],
    ["-createdAt", (a: ProspectSeed, b: ProspectSeed) => (a.createdAt! < b.createdAt! ? 1 : -1)],
    ["score", (a: ProspectSeed, b: ProspectSeed) => a.score! - b.score! || (a.id! < b.id! ? -1 : 1)],
    ["-score", (a: ProspectSeed, b: ProspectSeed) => b.score! - a.score! || (a.id! < b.id! ? 1 : -1)],
  ])("sorts by %s, ties broken by id, across pages", async (sort, compare) => {
    expect(await all(`?sort=${sort}&limit=8`)).toEqual(ids([...seeded].sort(compare)));
  });

  test.each([
    ["status", "?status=won", (row: ProspectSeed) => row.status === "won"],
    ["ownerId", () => `?ownerId=${s.org.admin.id}`, (row: ProspectSeed) => row.ownerId === s.org.admin.id],
    ["tag", "?tag=vip", (row: ProspectSeed) => row.tags?.includes("vip") === true],
    [
      "createdAfter (inclusive)",
      "?createdAfter=2026-02-01T00:00:00.000Z",
      (row: ProspectSeed) => row.createdAt! >= "2026-02-01",
    ],
    [
      "createdBefore (exclusive)",
      "?createdBefore=2026-01-10T00:00:00Z",
      (row: ProspectSeed) => row.createdAt! < "2026-01-10",
    ],
    [
      "a time zone offset",
      "?createdAfter=2026-01-05T02:00:00%2B02:00",
      (row: ProspectSeed) => row.createdAt! >= "2026-01-05",
    ],
    [
      "every filter at once",
      () =>
        `?status=new&tag=vip&ownerId=${s.org.user.id}&createdAfter=2026-01-02T00:00:00Z&createdBefore=2026-02-20T00:00:00Z`,
      (row: ProspectSeed) =>
        row.status === "new" &&
        row.tags?.includes("vip") === true &&
        row.ownerId === s.org.user.id &&
        row.createdAt! >= "2026-01-02" &&
        row.createdAt! < "2026-02-20",
    ],
  ] as const)("filters by %s", async (_, query, keep) => {
    const expected = newestFirst().filter((id) => keep(seeded.find((row) => row.id === id) as ProspectSeed));
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(seeded.length);
    expect(await all(`${typeof query === "function" ? query() : query}&limit=5`)).toEqual(expected);
  });

  test("a filter that matches nothing is an empty page, not an error", async () => {
    expect(await list("?tag=nobody")).toEqual({
      success: true,
      data: [],
      meta: { limit: 20, nextCursor: null, hasMore: false },
    });
  });

  test("limit 1 and 100 are accepted", async () => {
    expect((await list("?limit=1")).data).toHaveLength(1);
    expect((await list("?limit=100")).data).toHaveLength(60);
  });

  const cursorOf = async (query: string) => (await list(query)).meta.nextCursor as string;

  test.each([
    ["limit 0", "?limit=0", { limit: ["Limit must be a whole number between 1 and 100"] }],
    ["limit 101", "?limit=101", { limit: ["Limit must be a whole number between 1 and 100"] }],
    ["a limit that is no number", "?limit=many", { limit: ["Limit must be a whole number between 1 and 100"] }],
    ["a fractional limit", "?limit=2.5", { limit: ["Limit must be a whole number between 1 and 100"] }],
    ["an unknown sort", "?sort=name", { sort: ["Sort must be one of: createdAt, -createdAt, score, -score"] }],
    [
      "an unknown status",
      "?status=closed",
      { status: ["Status must be one of: new, contacted, qualified, proposal, won, lost"] },
    ],
    [
      "a createdAfter that is no date-time",
      "?createdAfter=yesterday",
      { createdAfter: ["Created after must be an ISO 8601 date-time"] },
    ],
    [
      "a createdBefore that is a date only",
      "?createdBefore=2026-01-01",
      { createdBefore: ["Created before must be an ISO 8601 date-time"] },
    ],
    [
      "a createdAfter without a time zone",
      "?createdAfter=2026-01-01T10:00:00",
      { createdAfter: ["Created after must be an ISO 8601 date-time"] },
    ],
    [
      "createdBefore not after createdAfter",
      "?createdAfter=2026-02-01T00:00:00Z&createdBefore=2026-01-01T00:00:00Z",
      { createdBefore: ["Created before must be later than created after"] },
    ],
    ["a tag over 40 characters", `?tag=${"x".repeat(41)}`, { tag: ["Tag must be at most 40 characters"] }],
    ["a cursor that is not one", "?cursor=not-a-cursor", { cursor: ["is not a cursor of this list"] }],
    [
      "a cursor of another list",
      `?cursor=${encodeCursor(["2026-01-01T00:00:00.000Z", "x"])}`,
      { cursor: ["is not a cursor of this list"] },
    ],
    [
      "a cursor whose date was tampered with",
      `?cursor=${encodeCursor(["-createdAt", "not a date", "x"])}`,
      { cursor: ["is not a cursor of this list"] },
    ],
    [
      "a cursor whose score is not whole",
      `?sort=score&cursor=${encodeCursor(["score", 2.5, "x"])}`,
      { cursor: ["is not a cursor of this list"] },
    ],
  ])("refuses %s with the 422 envelope", async (_, query, errors) => {
    const body = await expectErrorEnvelope(
      await s.call("GET", `/api/v1/prospects${query}`, s.as.viewer),
      422,
      "ValidationError",
    );
    expect(body.errors).toEqual(errors);
  });

  test.each([
    ["createdAt", "-createdAt"],
    ["-createdAt", "createdAt"],
    ["score", "-createdAt"],
    ["-score", "score"],
  ])("refuses a cursor made for sort %s when the sort is %s", async (made, used) => {
    const cursor = await cursorOf(`?sort=${made}&limit=2`);
    const response = await s.call("GET", `/api/v1/prospects?sort=${used}&cursor=${cursor}`, s.as.viewer);
    const body = await expectErrorEnvelope(response, 422, "ValidationError");
    expect(body.errors).toEqual({ cursor: ["is not a cursor of this list"] });
  });
});
