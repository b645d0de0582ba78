import type { Database, Dialect } from "./database";
import { exclusiveTransaction } from "./exclusive-transaction";
import { type Migration, migrations } from "./migrations";
import { nowIso } from "./values";

const lockName = "revenue-api:migrate";

const createMigrationsTable: Record<Dialect, string> = {
  postgres: `CREATE TABLE IF NOT EXISTS schema_migrations (
    name text PRIMARY KEY,
    applied_at timestamptz(3) NOT NULL DEFAULT now()
  )`,
  sqlite: `CREATE TABLE IF NOT EXISTS schema_migrations (
    name TEXT PRIMARY KEY,
    applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
  )`,
};

/**
 * Applies the pending migrations in order and returns their names. Each runs in its own
 * transaction with its schema_migrations row, under a lock, and is checked again once the lock
 * is held: two instances starting at once apply each migration exactly once.
 */
export async function migrate(db: Database): Promise<string[]> {
  const applied: string[] = [];
  for (const migration of await pending(db)) {
    const ran = await exclusiveTransaction(db, lockName, (tx) => applyOnce(tx, migration));
    if (ran) applied.push(migration.name);
  }
  return applied;
}

/** Names of the migrations this code has and the database has not recorded. */
export async function pendingMigrations(db: Database): Promise<string[]> {
  return (await pending(db)).map((migration) => migration.name);
}

async function pending(db: Database): Promise<Migration[]> {
  const done = new Set(await appliedNames(db));
  return migrations[db.dialect].filter((migration) => !done.has(migration.name));
}

async function appliedNames(db: Database): Promise<string[]> {
  // Start-up, not the request path: a database slow to answer delays it rather than failing it.
  const sql = db.direct;
  const exists =
    db.dialect === "postgres"
      ? await sql`select 1 from pg_class where oid = to_regclass('schema_migrations')`
      : await sql`select 1 from sqlite_master where type = 'table' and name = 'schema_migrations'`;
  if (exists.length === 0) return [];
  const rows: { name: string }[] = await sql`select name from schema_migrations`;
  return rows.map((row) => row.name);
}

async function applyOnce(tx: Database, migration: Migration): Promise<boolean> {
  await tx.sql.unsafe(createMigrationsTable[tx.dialect]);
  const done = await tx.sql`select 1 from schema_migrations where name = ${migration.name}`;
  if (done.length > 0) return false;
  await tx.sql.unsafe(migration.sql);
  await tx.sql`insert into schema_migrations (name, applied_at) values (${migration.name}, ${nowIso()})`;
  return true;
}
