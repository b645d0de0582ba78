import { afterEach, describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { type Database, type Dialect, openDatabase } from "../../src/db/database";
import { migrate, pendingMigrations } from "../../src/db/migrate";
import { migrations } from "../../src/db/migrations";
import { createTestDatabase, dialects, type TestDatabase } from "../helpers/database";

const migrationsDir = join(import.meta.dir, "../../src/db/migrations");
const allNames = (dialect: Dialect) => migrations[dialect].map((m) => m.name);

describe("migration files", () => {
  test.each(["postgres", "sqlite"] as const)("every %s .sql file is registered, in order", (dialect) => {
    const files = readdirSync(join(migrationsDir, dialect))
      .filter((file) => file.endsWith(".sql"))
      .sort()
      .map((file) => file.replace(/\.sql$/, ""));
    expect(allNames(dialect)).toEqual(files);
    for (const name of files) expect(name).toMatch(/^\d{3}_[a-z0-9_]+$/);
  });

  test("both dialects have the same migrations", () => {
    expect(allNames("sqlite")).toEqual(allNames("postgres"));
  });
});

describe.each(dialects)("migrate on %s", (dialect) => {
  let created: TestDatabase;
  const extra: Database[] = [];
  afterEach(async () => {
    await Promise.all(extra.splice(0).map((db) => db.close()));
    await created.drop();
  });

  test("a fresh database gets every migration once, recorded in schema_migrations", async () => {
    created = await createTestDatabase(dialect, { migrate: false });
    expect(await pendingMigrations(created.db)).toEqual(allNames(dialect));
    expect(await migrate(created.db)).toEqual(allNames(dialect));
    const rows = await created.db.sql<{ name: string }[]>`select name from schema_migrations order by name`;
    expect(rows.map((row) => row.name)).toEqual(allNames(dialect));
    expect(await pendingMigrations(created.db)).toEqual([]);
  });

  test("running again applies nothing", async () => {
    created = await createTestDatabase(dialect, { migrate: false });
    await migrate(created.db);
    expect(await migrate(created.db)).toEqual([]);
  });

  test("two connections migrating at once apply each migration exactly once", async () => {
    created = await createTestDatabase(dialect, { migrate: false, file: true });
    const second = openDatabase(created.url);
    extra.push(second);
    const [a, b] = await Promise.all([migrate(created.db), migrate(second)]);
    expect([...a, ...b].sort()).toEqual(allNames(dialect));
    const rows = await created.db.sql<{ name: string }[]>`select name from schema_migrations`;
    expect(rows.length).toBe(allNames(dialect).length);
  });

  test("a migration that fails leaves no trace and is still pending", async () => {
    created = await createTestDatabase(dialect, { migrate: false });
    const broken = { name: "999_broken", sql: "CREATE TABLE half_done (id text); SELECT * FROM no_such_table;" };
    migrations[dialect].push(broken);
    try {
      await expect(migrate(created.db)).rejects.toThrow();
      expect(await pendingMigrations(created.db)).toEqual(["999_broken"]);
      const table =
        dialect === "postgres"
          ? await created.db.sql`select 1 from pg_class where oid = to_regclass('half_done')`
          : await created.db.sql`select 1 from sqlite_master where name = 'half_done'`;
      expect(table.length).toBe(0);
    } finally {
      migrations[dialect].pop();
    }
  });
});
