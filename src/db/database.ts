import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { SQL } from "bun";
import { type CircuitBreaker, type CircuitBreakerOptions, createCircuitBreaker } from "../lib/circuit-breaker";
import { parseDatabaseUrl } from "./connection-url";
import { DatabaseTimeoutError, DatabaseUnavailableError, databaseUnavailableMessage } from "./errors";
import { guardSql } from "./guarded-sql";
import { gateTransactions } from "./sqlite-gate";

export type Dialect = "postgres" | "sqlite";

export interface Database {
  /** Bun's client. On SQLite, queries outside a transaction wait for it: see sqlite-gate.ts. */
  sql: SQL;
  dialect: Dialect;
  /**
   * The same client without the query deadline and the breaker (Postgres): for migrations and
   * the seed, whose statements may rightly wait for a lock or run for minutes. `sql` on SQLite.
   */
  direct: SQL;
  /**
   * A cheap `select 1`; rejects on error, or with DatabaseTimeoutError after timeoutMs, or at once
   * with DatabaseUnavailableError while the circuit is open.
   */
  ping(timeoutMs: number): Promise<void>;
  /** Postgres: opens after repeated failures; requests then fail at once. None on SQLite. */
  breaker?: CircuitBreaker;
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
  /** How long opening one Postgres connection may take; default 2 s (Bun's own is 30 s). */
  connectTimeoutMs?: number;
  /**
   * Postgres: the deadline of every query through `sql` (DB_QUERY_TIMEOUT_MS), default 1500 ms.
   * Bun's connect timeout does not bound a connection that is accepted and never answered, and a
   * query has no deadline of its own: this is the only bound on a partitioned database.
   */
  queryTimeoutMs?: number;
  /** One log line per circuit transition. */
  onCircuitTransition?: CircuitBreakerOptions["onTransition"];
}

export const defaultQueryTimeoutMs = 1500;
export const defaultConnectTimeoutMs = 2000;

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

  const settings = {
    database: parsed.database,
    prepare: options.prepare !== false && !parsed.transactionPooler,
    // Seconds; Bun retries a connection that is closed at once until this has passed.
    connectionTimeout: (options.connectTimeoutMs ?? defaultConnectTimeoutMs) / 1000,
  };
  const timeoutMs = options.queryTimeoutMs ?? defaultQueryTimeoutMs;
  const pool = new SQL(parsed.url, { ...settings, max: options.poolMax ?? 10 });
  // The probe has a connection of its own: through the pool, one probe against a database that
  // accepts and closes would have Bun redial every slot of the pool, tens of times a second.
  let prober: SQL | undefined;
  const probe = () => {
    prober ??= new SQL(parsed.url, { ...settings, max: 1 });
    return ping(prober, timeoutMs);
  };
  const breaker = createCircuitBreaker({
    name: "database",
    probe,
    onTransition: (from, to, fields) => {
      if (to === "open") guard.failAll();
      options.onCircuitTransition?.(from, to, fields);
    },
  });
  const { sql, guard } = guardSql(pool, { timeoutMs, breaker });
  return {
    sql,
    dialect: "postgres",
    direct: pool,
    breaker,
    ping: (ms) =>
      breaker.state() === "closed"
        ? ping(pool, ms)
        : Promise.reject(new DatabaseUnavailableError(databaseUnavailableMessage)),
    async close() {
      breaker.close();
      await Promise.all([pool.close({ timeout: 5 }), prober?.close({ timeout: 1 })]);
    },
  };
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
  // SQLite runs in this process: nothing to partition, so neither a deadline nor a breaker.
  return {
    sql,
    direct: sql,
    dialect: "sqlite",
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
      reject(new DatabaseTimeoutError(databaseUnavailableMessage));
    }, timeoutMs);
  });
  try {
    await Promise.race([query, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
