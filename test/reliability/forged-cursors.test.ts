import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { buildTestApp } from "../helpers/app";
import { dialects } from "../helpers/database";
import { envelopeProblem } from "./support/envelope";
import { routesOf } from "./support/route-cases";
import { buildWorld, cannedAi, type World } from "./support/world";

/**
 * Every list that pages with a cursor, with a query that has at least two pages. The test fails
 * when the app has a route with a `cursor` query that is not here.
 */
const lists: Record<string, string[]> = {
  "/api/v1/prospects": ["", "sort=createdAt", "sort=-createdAt", "sort=score", "sort=-score"],
  "/api/v1/search": ["q=prospect"],
  "/api/v1/users": [""],
  "/api/v1/api-keys": [""],
  "/api/v1/emails": [""],
};

const encode = (key: unknown) => Buffer.from(JSON.stringify(key)).toString("base64url");
const decode = (cursor: string) => JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown[];

/** What a forger puts in place of a number of a real cursor: each must be refused with a 4xx. */
const forgedNumbers = [1e21, 1e300, -1, 0.5, 2 ** 53, -(2 ** 63), 1e308 * 10, Number.MIN_VALUE];
/** ... and in place of a string. */
const forgedStrings = ["", "\u0000", "x".repeat(400), "9999-12-31T23:59:60.000Z", "+275760-09-13T00:00:00.000Z"];

/** Real cursors with one position replaced, plus cursors of the wrong shape altogether. */
function forgeriesOf(real: string): string[] {
  const key = decode(real);
  const forged: string[] = [];
  key.forEach((value, i) => {
    const replacements: unknown[] = typeof value === "number" ? forgedNumbers : forgedStrings;
    for (const replacement of [...replacements, null, true, [], {}]) {
      forged.push(encode(key.map((v, j) => (j === i ? replacement : v))));
    }
  });
  forged.push(encode([...key, 1]), encode(key.slice(1)), encode({}), encode(1e21), "bm90IGpzb24", "!!!");
  // JSON numbers the way a forger writes them, not as JSON.stringify would.
  const text = JSON.stringify(key);
  for (const literal of ["1e+21", "1e+300", "1e400", "-0"]) {
    forged.push(Buffer.from(text.replace(/-?\d+(\.\d+)?(e[+-]?\d+)?(?=[,\]])/, literal)).toString("base64url"));
  }
  return forged;
}

describe("the forged-cursor table", () => {
  test("names every route whose query takes a cursor", () => {
    const paged = routesOf(buildTestApp({ deps: { ai: cannedAi } }).app)
      .filter((route) => route.method === "GET" && route.query?.properties?.cursor)
      .map((route) => route.path)
      .sort();
    expect(paged).toEqual(Object.keys(lists).sort());
  });
});

describe.each(dialects)("forged cursors on %s", (dialect) => {
  let world: World;
  beforeAll(async () => {
    world = await buildWorld(dialect);
    // Two of each, so every list has a second page and a real cursor to forge from.
    for (let i = 0; i < 2; i++) {
      await world.fresh.emailId();
      await world.fresh.apiKeyId();
      await world.fresh.userId();
    }
  }, 30_000);
  afterAll(() => world.database.drop());

  const cases = Object.entries(lists).flatMap(([path, queries]) => queries.map((query) => [path, query] as const));

  test.each(cases)("%s?%s refuses every forged cursor with a 4xx envelope, never a 5xx", async (path, query) => {
    const url = (cursor?: string) =>
      `${path}?${[query, "limit=1", cursor && `cursor=${encodeURIComponent(cursor)}`].filter(Boolean).join("&")}`;
    const first = await world.call("GET", url(), world.headers.admin);
    expect(first.status).toBe(200);
    const real = ((await first.json()) as { meta: { nextCursor: string | null } }).meta.nextCursor;
    expect(real).toEqual(expect.any(String));
    expect((await world.call("GET", url(real as string), world.headers.admin)).status).toBe(200);

    const answered: Record<number, number> = {};
    for (const cursor of forgeriesOf(real as string)) {
      const response = await world.call("GET", url(cursor), world.headers.admin);
      answered[response.status] = (answered[response.status] ?? 0) + 1;
      if (response.status === 200) {
        // A forgery that still decodes to a valid key of this list (-0 is 0) may page on.
        continue;
      }
      const problem = await envelopeProblem(response);
      if (problem) throw new Error(`cursor ${decodeURIComponent(cursor)} → ${problem}`);
      if (response.status < 400 || response.status > 499) {
        throw new Error(`cursor ${Buffer.from(cursor, "base64url").toString()} → ${response.status}`);
      }
    }
    expect(Object.keys(answered).every((status) => Number(status) < 500)).toBe(true);
    expect(answered[422]).toBeGreaterThan(0);
  });

  test("a search cursor deeper than 10,000 results is refused with a 422 on cursor", async () => {
    const first = await world.call("GET", "/api/v1/search?q=prospect&limit=1", world.headers.admin);
    const [kind, words] = decode(((await first.json()) as { meta: { nextCursor: string } }).meta.nextCursor);
    const deep = (offset: number) =>
      world.call(
        "GET",
        `/api/v1/search?q=prospect&limit=1&cursor=${encode([kind, words, offset])}`,
        world.headers.admin,
      );
    expect((await deep(10_000)).status).toBe(200);
    const refused = await deep(10_001);
    expect(refused.status).toBe(422);
    expect(await refused.json()).toMatchObject({
      error: "ValidationError",
      errors: { cursor: ["is not a cursor of this search"] },
    });
  });
});
