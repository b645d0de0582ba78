import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type Database, openDatabase } from "../../src/db/database";
import { createProspectRepository } from "../../src/modules/prospects/repository";
import { createUserRepository } from "../../src/modules/users/repository";
import { createTestDatabase, dialects, type TestDatabase } from "../helpers/database";
import { seedOrganization } from "../helpers/fixtures";
import { insertProspects } from "./support";

interface PreparedStatement {
  statement: string;
  generic_plans: number;
  custom_plans: number;
}

// What an operator sees in pg_prepared_statements of a connection that has served pages for a while.
describe.skipIf(!dialects.includes("postgres"))("list statements on Postgres", () => {
  let database: TestDatabase;
  let single: Database;
  const orgs: string[] = [];

  beforeAll(async () => {
    database = await createTestDatabase("postgres");
    // Organizations of thousands of prospects: a page is then a small part of what matches, which
    // is where a plan made for an unknown LIMIT (a tenth of the rows) and one for 21 rows differ.
    for (const [name, count] of [
      ["Acme", 4000],
      ["Globex", 2000],
    ] as const) {
      const org = await seedOrganization(database.db, name);
      orgs.push(org.id);
      const seeds = Array.from({ length: count }, (_, i) => ({ email: `p${i}@${name}.test`, score: i % 50 }));
      await insertProspects(database.db, org.id, seeds);
    }
    await database.db.sql`analyze prospects`;
    // One connection, so that every statement below is prepared, planned and listed on it.
    single = openDatabase(database.url, { poolMax: 1 });
  });

  afterAll(async () => {
    await single?.close();
    await database?.drop();
  });

  const statements = () =>
    single.sql<PreparedStatement[]>`
      select statement, generic_plans::int, custom_plans::int from pg_prepared_statements`;

  test("a page of prospects is planned once and then served from its generic plan, for any organization", async () => {
    const prospects = createProspectRepository(single);
    const order = { column: "created_at", descending: true } as const;
    for (let i = 0; i < 12; i++) {
      const page = await prospects.list(orgs[i % 2] as string, {}, order, 20, (p) => [p.createdAt, p.id]);
      expect(page.items).toHaveLength(20);
      expect(page.hasMore).toBe(true);
    }
    const [list] = (await statements()).filter((s) => s.statement.includes("from prospects"));
    expect(list).toBeDefined();
    // Postgres tries five custom plans before it compares them with the generic one.
    expect(list?.custom_plans).toBeLessThanOrEqual(5);
    expect(list?.generic_plans).toBeGreaterThanOrEqual(7);
  });

  test("each page size is a statement of its own, and every one keeps the rows it asks for", async () => {
    const prospects = createProspectRepository(single);
    const order = { column: "score", descending: false } as const;
    for (const limit of [1, 7, 100]) {
      const page = await prospects.list(orgs[0] as string, {}, order, limit, (p) => [p.score, p.id]);
      expect(page.items).toHaveLength(limit);
    }
    const texts = (await statements()).map((s) => s.statement).filter((s) => s.includes("order by score asc"));
    expect(texts.some((s) => s.includes("limit 2"))).toBe(true);
    expect(texts.some((s) => s.includes("limit 8"))).toBe(true);
    expect(texts.some((s) => s.includes("limit 101"))).toBe(true);
  });

  test("a page of users is served from its generic plan too", async () => {
    const users = createUserRepository(single);
    for (let i = 0; i < 12; i++) {
      const page = await users.listByOrganization(orgs[i % 2] as string, { limit: 2 });
      expect(page.items).toHaveLength(2);
    }
    const [list] = (await statements()).filter((s) => s.statement.includes("from users"));
    expect(list?.generic_plans).toBeGreaterThanOrEqual(7);
  });

  test("a limit that is not a small whole number never reaches the SQL text", async () => {
    const prospects = createProspectRepository(single);
    const order = { column: "created_at", descending: true } as const;
    for (const limit of [-2, 1.5, Number.NaN, 5000]) {
      await expect(prospects.list(orgs[0] as string, {}, order, limit, (p) => [p.createdAt, p.id])).rejects.toThrow(
        RangeError,
      );
    }
  });
});
