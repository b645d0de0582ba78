import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SQL } from "bun";
import { type Database, type Dialect, openDatabase } from "../../src/db/database";
import { migrate } from "../../src/db/migrate";

export interface TestDatabase {
  db: Database;
  /** A URL another process or connection can open: a temp file for SQLite when asked for. */
  url: string;
  /** Closes db and removes the database. */
  drop(): Promise<void>;
}

export interface TestDatabaseOptions {
  /** Apply every migration first (default true). */
  migrate?: boolean;
  /** SQLite: a temp file instead of :memory:, for a second connection or a subprocess. */
  file?: boolean;
}

/** The Postgres server tests create their databases on; TEST_POSTGRES_URL overrides it. */
export const postgresAdminUrl = process.env.TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

/** The dialects the suites run on: Postgres only when it answers (and always under CI). */
export const dialects: Dialect[] = (await postgresAnswers()) ? ["sqlite", "postgres"] : ["sqlite"];

/**
 * A fresh, isolated database: SQLite in memory (or a temp file), or a new Postgres database
 * (test_<random>) on the local server, so test files can run in parallel without seeing each
 * other's rows.
 */
export async function createTestDatabase(dialect: Dialect, options: TestDatabaseOptions = {}): Promise<TestDatabase> {
  const created = dialect === "postgres" ? await createPostgres() : createSqlite(options.file ?? false);
  if (options.migrate ?? true) await migrate(created.db);
  return created;
}

function createSqlite(file: boolean): TestDatabase {
  const path = file ? join(tmpdir(), `revenue-api-test-${Bun.randomUUIDv7()}.db`) : ":memory:";
  const url = `sqlite://${path}`;
  const db = openDatabase(url);
  return {
    db,
    url,
    async drop() {
      await db.close();
      if (file) await Promise.all(["", "-wal", "-shm"].map((suffix) => rm(path + suffix, { force: true })));
    },
  };
}

async function createPostgres(): Promise<TestDatabase> {
  const name = `test_${Bun.randomUUIDv7().replaceAll("-", "")}`;
  const admin = new SQL(postgresAdminUrl, { max: 1 });
  try {
    await admin.unsafe(`CREATE DATABASE ${name}`);
  } finally {
    await admin.close();
  }
  const url = new URL(postgresAdminUrl);
  url.pathname = `/${name}`;
  const db = openDatabase(url.toString(), { poolMax: 4 });
  return {
    db,
    url: url.toString(),
    async drop() {
      await db.close();
      const cleanup = new SQL(postgresAdminUrl, { max: 1 });
      try {
        await cleanup.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await cleanup.close();
      }
    },
  };
}

async function postgresAnswers(): Promise<boolean> {
  const probe = new SQL(postgresAdminUrl, { max: 1, connectionTimeout: 3 });
  try {
    await probe`select 1`;
    await dropAbandoned(probe);
    return true;
  } catch (error) {
    if (process.env.CI) {
      throw new Error(`Postgres at ${postgresAdminUrl} does not answer (CI requires it)`, { cause: error });
    }
    console.warn(`warning: Postgres at ${postgresAdminUrl} does not answer; Postgres tests are skipped`);
    return false;
  } finally {
    await probe.close();
  }
}

/**
 * A test process that is killed never drops its databases. Their names start with a UUIDv7,
 * whose first 48 bits are the creation time: drop those older than an hour, which no live test
 * run can still be using.
 */
async function dropAbandoned(admin: SQL): Promise<void> {
  const rows: { datname: string }[] = await admin`
    select datname from pg_database where datname ~ '^test_[0-9a-f]{32}$'`;
  const cutoff = Date.now() - 3_600_000;
  for (const { datname } of rows) {
    if (Number.parseInt(datname.slice(5, 17), 16) < cutoff) {
      await admin.unsafe(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`).catch(() => {});
    }
  }
}
