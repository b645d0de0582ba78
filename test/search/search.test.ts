import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { encodeCursor } from "../../src/db/cursor";
import { expectErrorEnvelope } from "../helpers/app";
import { dialects } from "../helpers/database";
import { insertProspects, json, type ProspectsSetup, setupProspects } from "../prospects/support";
import { acmeRows, searchFixture } from "./fixture";

interface Hit {
  id: string;
  firstName: string | null;
  lastName: string | null;
  email: string;
  company: string | null;
  title: string | null;
  notes: string | null;
  score: number;
  relevance: number;
}

interface Result {
  success: true;
  data: Hit[];
  meta: { limit: number; nextCursor: string | null; hasMore: boolean };
}

const accented = {
  id: "00000000-0000-7000-9000-000000000010",
  email: "x1@example.com",
  lastName: "Núñez",
  company: "Ibérica Óptica",
};

/** The words of a hit, folded as search folds them. */
const words = (hit: Hit) =>
  [hit.firstName, hit.lastName, hit.email, hit.company, hit.title, hit.notes]
    .join(" ")
    .normalize("NFD")
    .replace(/\p{M}/gu, "")
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u);

describe.each(dialects)("search on %s", (dialect) => {
  let s: ProspectsSetup;

  const search = async (query: string, as = s.as.viewer) => {
    const response = await s.call("GET", `/api/v1/search?${query}`, as);
    expect(response.status).toBe(200);
    return json<Result>(response);
  };
  const q = (text: string, rest = "") => search(`q=${encodeURIComponent(text)}${rest}`);

  beforeAll(async () => {
    s = await setupProspects(dialect);
    await insertProspects(s.database.db, s.org.id, [...searchFixture(), ...acmeRows, accented]);
    await insertProspects(s.database.db, s.other.id, [{ email: "ceo@acme.example", company: "Acme" }]);
  });
  afterAll(() => s.database.drop());

  test("an exact company match comes first, then other company matches, then mentions in notes", async () => {
    const { data } = await q("Acme", "&limit=100");
    expect(data[0]?.id).toBe(acmeRows[0]?.id as string);
    expect(data[0]?.relevance).toBeGreaterThan(1);
    expect(new Set(data.slice(1, 3).map((hit) => hit.company))).toEqual(new Set(["Acme Corp", "Acmeville Supplies"]));
    for (const hit of data.slice(3)) {
      expect(hit.notes).toContain("Acme");
      expect(hit.relevance).toBeLessThan(data[2]?.relevance as number);
    }
    expect(data.length).toBeGreaterThan(20);
  });

  test("a multi-word exact company ranks its row first", async () => {
    const { data } = await q("acme corp");
    expect(data.map((hit) => hit.company)).toEqual(["Acme Corp"]);
  });

  test("matches prefixes: acm finds the Acme companies first", async () => {
    const { data } = await q("acm", "&limit=100");
    expect(new Set(data.slice(0, 3).map((hit) => hit.id))).toEqual(new Set(acmeRows.map((row) => row.id as string)));
    for (const hit of data) expect(words(hit).some((word) => word.startsWith("acm"))).toBe(true);
  });

  test("ignores case: ACME and acme give the same results", async () => {
    expect(await q("ACME")).toEqual(await q("acme"));
  });

  test("requires every word: each hit of 'kenji wat' has a word starting with each", async () => {
    const { data } = await q("kenji wat", "&limit=100");
    expect(data.length).toBeGreaterThan(0);
    for (const hit of data) {
      expect(words(hit).some((word) => word.startsWith("kenji"))).toBe(true);
      expect(words(hit).some((word) => word.startsWith("wat"))).toBe(true);
    }
  });

  test("finds words inside emails, and letters without their accents", async () => {
    const byDomain = await q("acmeville");
    expect(byDomain.data.map((hit) => hit.email)).toEqual(["bugs.bunny@acmeville.example"]);
    for (const text of ["nunez", "Núñez", "iberica optica"]) {
      expect((await q(text)).data.map((hit) => hit.id)).toEqual([accented.id]);
    }
  });

  test.each([
    ['"acme" corp*', "quotes and a star"],
    ["acme & (corp | !corp)", "&, |, ! and parentheses"],
    ["acme:* corp:A", "colons"],
  ])("treats %s (%s) as plain words", async (text) => {
    expect((await q(text)).data.map((hit) => hit.company)).toEqual(["Acme Corp"]);
  });

  test("takes SQL in q as words to look for", async () => {
    expect((await q("'); drop table prospects; --")).data).toEqual([]);
    expect((await q("acme corp")).data).toHaveLength(1);
  });

  test("each hit carries its prospect fields and its relevance, best first", async () => {
    const { data, meta } = await q("thompson", "&limit=10");
    expect(meta).toEqual({ limit: 10, nextCursor: expect.any(String), hasMore: true });
    expect(Object.keys(data[0] as Hit).sort()).toEqual(
      [
        "company",
        "createdAt",
        "email",
        "firstName",
        "id",
        "lastName",
        "linkedinUrl",
        "notes",
        "ownerId",
        "phone",
        "relevance",
        "score",
        "status",
        "tags",
        "title",
        "updatedAt",
      ].sort(),
    );
    const relevances = data.map((hit) => hit.relevance);
    expect(relevances).toEqual([...relevances].sort((a, b) => b - a));
    expect(relevances.every((value) => value > 0)).toBe(true);
  });

  test("never finds another organization's prospects", async () => {
    const { data } = await q("acme", "&limit=100");
    expect(data.some((hit) => hit.email === "ceo@acme.example")).toBe(false);
    const theirs = await search("q=acme", s.as.other);
    expect(theirs.data.map((hit) => hit.email)).toEqual(["ceo@acme.example"]);
  });

  test("pages through every hit with nextCursor, in the order of one big page", async () => {
    const one = await q("kenji", "&limit=100");
    expect(one.meta.hasMore).toBe(false);
    const whole = one.data.map((hit) => hit.id);
    expect(whole.length).toBeGreaterThan(14);
    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Result = await q("kenji", `&limit=7${cursor ? `&cursor=${cursor}` : ""}`);
      paged.push(...page.data.map((hit) => hit.id));
      cursor = page.meta.nextCursor;
    } while (cursor);
    expect(paged).toEqual(whole);
  });

  test.each([
    ["no q", "limit=5", { q: ["q must be the text to search for, 1 to 200 characters"] }],
    ["an empty q", "q=", { q: ["q must be the text to search for, 1 to 200 characters"] }],
    [
      "a q over 200 characters",
      `q=${"a".repeat(201)}`,
      { q: ["q must be the text to search for, 1 to 200 characters"] },
    ],
    [
      "a q of operators only",
      `q=${encodeURIComponent('*"()&|!:')}`,
      { q: ["q must contain at least one letter or digit"] },
    ],
    ["limit 101", "q=acme&limit=101", { limit: ["Limit must be a whole number between 1 and 100"] }],
    ["a cursor that is not one", "q=acme&cursor=xyz", { cursor: ["is not a cursor of this list"] }],
    [
      "a cursor of another search",
      `q=acme&cursor=${encodeCursor(["search", "other", 20])}`,
      { cursor: ["is not a cursor of this search"] },
    ],
    [
      "a cursor of the prospect list",
      `q=acme&cursor=${encodeCursor(["-createdAt", "2026-01-01T00:00:00.000Z", "x"])}`,
      { cursor: ["is not a cursor of this list"] },
    ],
  ])("refuses %s with the 422 envelope", async (_, query, errors) => {
    const response = await s.call("GET", `/api/v1/search?${query}`, s.as.viewer);
    expect((await expectErrorEnvelope(response, 422, "ValidationError")).errors).toEqual(errors);
  });

  test("accepts a q of 200 characters", async () => {
    expect((await q("a".repeat(200))).data).toEqual([]);
  });

  test("needs credentials", async () => {
    await expectErrorEnvelope(await s.call("GET", "/api/v1/search?q=acme", {}), 401, "Unauthorized");
  });
});
