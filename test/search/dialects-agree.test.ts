import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Database } from "../../src/db/database";
import { createOrganizationRepository } from "../../src/modules/organizations/repository";
import { createSearchRepository } from "../../src/modules/search/repository";
import { exactText, searchTerms } from "../../src/modules/search/terms";
import { createTestDatabase, dialects, type TestDatabase } from "../helpers/database";
import { insertProspects } from "../prospects/support";
import { acmeRows, searchFixture } from "./fixture";

/** One word, or words that name one field: both ranks agree on the whole top ten. */
const singleField = [
  "acme",
  "acm",
  "Acme Corp",
  "garcia",
  "thompson",
  "northwind",
  "northwind analytics",
  "pipeline",
  "zoe",
  "vp sales",
  "kenji",
  "kenji watanabe",
  "chief",
  "software",
  "helios energy",
  "demo",
  "sso audit",
  "ava",
  "ava thompson",
  "head",
  "founder ceo",
  "operations",
  "q3",
  "legal msa",
  "competitor",
  "bluefin",
  "pine",
  "ma",
  "lindqvist",
  "chloe",
  "fernandez",
  "success manager",
];
/**
 * Words spread over notes, or a short prefix that many different words start with: ts_rank_cd
 * weighs how close the words are, bm25 how often each occurs and how short the row is, so the
 * order may differ even at the top (for "acme migration", a note naming Acme twice).
 */
const spread = ["acme migration", "head of growth", "budget sso", "warm customer", "co"];

const both = dialects.length === 2;

describe.skipIf(!both)("Postgres and SQLite rank the same fixture alike", () => {
  const opened: TestDatabase[] = [];
  const searchers: { db: Database; organizationId: string }[] = [];

  const top = (query: string, limit: number) =>
    Promise.all(
      searchers.map(async ({ db, organizationId }) => {
        const hits = await createSearchRepository(db).search({
          organizationId,
          terms: searchTerms(query),
          exact: exactText(query),
          limit,
          offset: 0,
        });
        return hits.map((hit) => hit.prospect.id);
      }),
    );

  beforeAll(async () => {
    for (const dialect of ["sqlite", "postgres"] as const) {
      const database = await createTestDatabase(dialect);
      opened.push(database);
      const organization = await createOrganizationRepository(database.db).create("Acme Search");
      await insertProspects(database.db, organization.id, [...searchFixture(), ...acmeRows]);
      searchers.push({ db: database.db, organizationId: organization.id });
    }
  });
  afterAll(() => Promise.all(opened.map((database) => database.drop())));

  test.each(singleField)("the same top ten for %p", async (query) => {
    const [sqlite, postgres] = await top(query, 10);
    expect(sqlite?.length).toBeGreaterThan(0);
    expect(postgres).toEqual(sqlite as string[]);
  });

  test.each([...singleField, ...spread])("the same rows match %p", async (query) => {
    const [sqlite = [], postgres = []] = await top(query, 5_000);
    expect([...postgres].sort()).toEqual([...sqlite].sort());
  });

  test.each(spread)("each dialect's first hit is in the other's top ten for %p", async (query) => {
    const [sqlite = [], postgres = []] = await top(query, 10);
    expect(sqlite.length).toBe(10);
    expect(postgres).toContain(sqlite[0] as string);
    expect(sqlite).toContain(postgres[0] as string);
  });

  test("the exact company first on both", async () => {
    const [sqlite, postgres] = await top("acme", 1);
    expect(sqlite).toEqual([acmeRows[0]?.id as string]);
    expect(postgres).toEqual([acmeRows[0]?.id as string]);
  });
});
