import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { migrate } from "../../src/db/migrate";
import { createTestDatabase, dialects, type TestDatabase } from "../helpers/database";
import { seedOrganization } from "../helpers/fixtures";
import { insertProspects } from "../prospects/support";

const migrationName = "004_search_index_without_pending_list";

interface PlanNode {
  "Index Name"?: string;
  "Shared Hit Blocks"?: number;
  "Shared Read Blocks"?: number;
  Plans?: PlanNode[];
}

// What an operator sees of the search index on Postgres: how many of its pages a search reads.
describe.skipIf(!dialects.includes("postgres"))("the search index on Postgres", () => {
  let database: TestDatabase;
  let organizationId: string;
  let written = 0;

  beforeAll(async () => {
    database = await createTestDatabase("postgres");
    organizationId = (await seedOrganization(database.db, "Acme")).id;
  });

  afterAll(async () => {
    await database?.drop();
  });

  const addProspects = (count: number) => {
    const seeds = Array.from({ length: count }, () => {
      written += 1;
      return {
        email: `lead${written}@northwind${written}.example`,
        company: `Northwind ${written} Traders`,
        title: "VP Sales",
        notes: `Met at SaaStr ${written}, interested in pipeline forecasting`,
      };
    });
    return insertProspects(database.db, organizationId, seeds);
  };

  /** Pages of prospects_search_idx one search reads (its Bitmap Index Scan's buffers). */
  const searchIndexPages = async (): Promise<number> => {
    const [row] = await database.db.sql.begin(async (tx) => {
      await tx`set local enable_seqscan = off`;
      return tx`
        explain (analyze, buffers, format json)
        select count(*) from prospects where search @@ to_tsquery('simple', 'nothing:*')`;
    });
    const find = (node: PlanNode): PlanNode | undefined =>
      node["Index Name"] === "prospects_search_idx" ? node : node.Plans?.map(find).find(Boolean);
    const scan = find(row["QUERY PLAN"][0].Plan);
    expect(scan).toBeDefined();
    return (scan?.["Shared Hit Blocks"] ?? 0) + (scan?.["Shared Read Blocks"] ?? 0);
  };

  test("a database from before 004 has its pending list merged, and new prospects never fill one", async () => {
    // The index as the earlier migrations left it: Postgres' default fastupdate, whose pending list
    // takes new rows' tokens until a vacuum, and which every search reads in full.
    await database.db.sql.unsafe("ALTER INDEX prospects_search_idx RESET (fastupdate)");
    await database.db.sql`delete from schema_migrations where name = ${migrationName}`;
    await addProspects(2000);
    const pendingRead = await searchIndexPages();
    expect(pendingRead).toBeGreaterThan(50);

    expect(await migrate(database.db)).toEqual([migrationName]);
    const merged = await searchIndexPages();
    expect(merged).toBeLessThan(10);

    await addProspects(2000);
    expect(await searchIndexPages()).toBeLessThan(10);
    const [index] = await database.db.sql`select reloptions from pg_class where relname = 'prospects_search_idx'`;
    expect(index.reloptions).toEqual(["fastupdate=off"]);
  });

  test("005's search text is 002's for every value: ASCII, the accented letters it folds, others, NULL", async () => {
    // 002's function as it was, under another name, next to the one migrations left.
    const migration002 = readFileSync(
      join(import.meta.dir, "../../src/db/migrations/postgres/002_prospects_search_text.sql"),
      "utf8",
    );
    const original = migration002.match(/CREATE FUNCTION prospects_search_text[\s\S]*?\$\$;/)?.[0];
    expect(original).toBeDefined();
    await database.db.sql.unsafe(
      (original as string).replace("CREATE FUNCTION prospects_search_text", "CREATE FUNCTION search_text_002"),
    );
    const folded =
      "ÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝàáâãäåçèéêëìíîïñòóôõöùúûüýÿĀāĂăĄąĆćČčĎďĒēĘęĚěĞğİıŁłŃńŇňŐőŒœŘřŚśŞşŠšŢţŤťŮůŰűŸŹźŻżŽž";
    const values = [
      "Ava.Thompson@Northwind.io",
      "Mid-Market, Inc.",
      "O'Brien & Sons",
      "",
      "   spaced   out  ",
      "UPPER lower 123",
      "tab\there",
      "García",
      "ÅNGSTRÖM & Co.",
      "Zoë",
      "Straße",
      "Łódź",
      "Ελληνικά",
      "Москва",
      "東京 office",
      "emoji 🚀 launch",
      ...[...folded].flatMap((letter) => [letter, `x${letter}y`, `${letter}${letter.toUpperCase()}`]),
    ];
    const rows = await database.db.sql`
      select v, prospects_search_text(v) as now, search_text_002(v) as before
      from unnest(${values}::text[]) as v
      union all
      select null, prospects_search_text(null), search_text_002(null)`;
    expect(rows.length).toBe(values.length + 1);
    const differing = rows.filter((row: { now: string; before: string }) => row.now !== row.before);
    expect(differing).toEqual([]);
    await database.db.sql`drop function search_text_002(text)`;
  });

  test("a prospect just written is found by the next search", async () => {
    await insertProspects(database.db, organizationId, [{ email: "zara@contoso.example", company: "Contoso Zephyr" }]);
    const rows = await database.db.sql`
      select email from prospects where search @@ to_tsquery('simple', 'zephyr:*')`;
    expect(rows.map((row: { email: string }) => row.email)).toEqual(["zara@contoso.example"]);
  });
});
