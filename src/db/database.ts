import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { SQL } from "bun";
import { parseDatabaseUrl } from "./connection-url";
import { DatabaseTimeoutError } from "./errors";
import { gateTransactions } from "./sqlite-gate";

export type Dialect = "postgres" | "sqlite";

export interface Database {
  /** Bun's client. On SQLite, queries outside a transaction wait for it: see sqlite-gate.ts. */
  sql: SQL;
  dialect: Dialect;
  /** A cheap `select 1`; rejects on error, or with DatabaseTimeoutError after timeoutMs. */
  ping(timeoutMs: number): Promise<void>;
  /** Waits up to 5 s for running queries, then closes every connection. */
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** Postgres pool size; default 10. */
  poolMax?: number;
  /**
   * Named prepared statements (Postgres). false for transaction-mode poolers, which hand each
   * transaction to any server connection. Also off when the URL looks like one (port 6543,
   * pgbouncer=true), whatever this says.
   */
  prepare?: boolean;
  /** How long opening one Postgres connection may take; default 10 s (Bun's own is 30 s). */
  connectionTimeoutSeconds?: number;
}

/** How long a writer waits for another process's write lock before SQLITE_BUSY. */
export const sqliteBusyTimeoutMs = 5000;

/**
 * Opens a pool for a postgres:// or postgresql:// URL (Postgres, Supabase direct or pooler; TLS
 * as the URL's sslmode says), or a single connection for sqlite://<path> and sqlite://:memory:.
 * Connections open lazily: a bad URL or a database that is down shows on the first query.
 */
export function openDatabase(url: string, options: DatabaseOptions = {}): Database {
  const parsed = parseDatabaseUrl(url);
  if (parsed.dialect === "sqlite") return openSqlite(parsed.filename);

  const sql = new SQL(parsed.url, {
    database: parsed.database,
    max: options.poolMax ?? 10,
    prepare: options.prepare !== false && !parsed.transactionPooler,
    connectionTimeout: options.connectionTimeoutSeconds ?? 10,
  });
  return wrap(sql, "postgres");
}

function openSqlite(filename: string): Database {
  if (filename !== ":memory:") mkdirSync(dirname(filename), { recursive: true });
  const sql = gateTransactions(new SQL({ adapter: "sqlite", filename }));
  // SQLite runs a query when it is started, in order: these settings precede every other query.
  // A file that cannot be opened rejects here and again on every query, where callers see it.
  sql
    .unsafe(
      `PRAGMA busy_timeout = ${sqliteBusyTimeoutMs};
       PRAGMA journal_mode = WAL;
       PRAGMA synchronous = NORMAL;
       PRAGMA foreign_keys = ON;`,
    )
    .catch(() => {});
  return wrap(sql, "sqlite");
}

function wrap(sql: SQL, dialect: Dialect): Database {
  return {
    sql,
    dialect,
    ping: (timeoutMs) => ping(sql, timeoutMs),
    close: () => sql.close({ timeout: 5 }),
  };
}

async function ping(sql: SQL, timeoutMs: number): Promise<void> {
  const query = sql`select 1 as ok`;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      // A ping stuck behind a dead connection must not hold a pool slot after we gave up.
      query.cancel();
      reject(new DatabaseTimeoutError(`database did not answer within ${timeoutMs} ms`));
    }, timeoutMs);
  });
  try {
    await Promise.race([query, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
