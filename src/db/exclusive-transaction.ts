import type { SQL } from "bun";
import { type Database, sqliteBusyTimeoutMs } from "./database";

/** How long to wait for another writer before giving up. */
const waitLimitMs = 30_000;

/**
 * Runs fn in a transaction that no other process or connection running exclusiveTransaction
 * with the same lock name can run at the same time: for migrations and seeding, which several
 * instances may start at once. `tx` is the Database scoped to the transaction.
 *
 * Postgres: a transaction-scoped advisory lock, which transaction-mode poolers keep correctly
 * (a session lock would stay behind on a pooled server connection).
 * SQLite: BEGIN IMMEDIATE takes the write lock up front. SQLite waits for a lock by blocking
 * the thread, which would freeze this process while another connection of the same process
 * holds it; so the wait happens here instead, asynchronously, with busy_timeout at 0.
 */
export async function exclusiveTransaction<T>(
  db: Database,
  lockName: string,
  fn: (tx: Database) => Promise<T>,
): Promise<T> {
  if (db.dialect === "postgres") {
    // No query deadline here: the lock may rightly be held for as long as a migration runs.
    return db.direct.begin(async (sql) => {
      await sql`select pg_advisory_xact_lock(hashtext(${lockName}))`;
      return fn(scoped(db, sql));
    }) as Promise<T>;
  }
  const deadline = Date.now() + waitLimitMs;
  await db.sql`PRAGMA busy_timeout = 0`;
  try {
    for (;;) {
      try {
        return (await db.sql.begin("immediate", (sql) => fn(scoped(db, sql)))) as T;
      } catch (error) {
        if (!isBusy(error) || Date.now() > deadline) throw error;
        await Bun.sleep(20);
      }
    }
  } finally {
    await db.sql.unsafe(`PRAGMA busy_timeout = ${sqliteBusyTimeoutMs}`);
  }
}

function scoped(db: Database, sql: SQL): Database {
  // Both on the transaction: `direct` must not escape it to the pool.
  return { ...db, sql, direct: sql };
}

function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && code.startsWith("SQLITE_BUSY");
}
