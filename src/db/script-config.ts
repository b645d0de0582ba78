import { type Config, loadConfig } from "../config";
import type { Database } from "./database";
import { classifyDatabaseError, DatabaseUnavailableError } from "./errors";
import { migrate, pendingMigrations } from "./migrate";

export type DatabaseConfig = Pick<Config, "env" | "databaseUrl" | "dbPoolMax" | "dbPrepare" | "migrateOnStart">;

/**
 * The database settings of Config for the npm scripts (migrate, seed, user:create). They run
 * where the server's other production settings may be absent (a migration job has no JWT
 * secrets), so those are validated as in development; the database ones exactly as the server.
 */
export function loadDatabaseConfig(env: Record<string, string | undefined> = process.env): DatabaseConfig {
  const { JWT_SECRET: _access, JWT_REFRESH_SECRET: _refresh, ...rest } = env;
  const config = loadConfig({ ...rest, NODE_ENV: "development" });
  const nodeEnv = env.NODE_ENV?.trim();
  return {
    env: nodeEnv === "production" || nodeEnv === "test" ? nodeEnv : "development",
    databaseUrl: config.databaseUrl,
    dbPoolMax: config.dbPoolMax,
    dbPrepare: config.dbPrepare,
    migrateOnStart: config.migrateOnStart,
  };
}

/**
 * Scripts that write rows need the current schema: apply pending migrations when
 * MIGRATE_ON_START allows (the default), else fail with the way out.
 */
export async function ensureMigrated(db: Database, config: DatabaseConfig): Promise<string[]> {
  const pending = await pendingMigrations(db);
  if (pending.length === 0) return [];
  if (!config.migrateOnStart) {
    throw new Error(`the database is behind (${pending.join(", ")} pending); run npm run migrate first`);
  }
  return migrate(db);
}

/** One line for a script's failure: what went wrong, without a stack. */
export function describeScriptError(error: unknown): string {
  const typed = classifyDatabaseError(error);
  const text = error instanceof Error ? error.message : String(error);
  if (typed instanceof DatabaseUnavailableError) return `cannot reach the database: ${describeCause(typed)}`;
  return typed?.message ?? text;
}

/** The driver's own words under a typed error: a script's operator needs them, a client never does. */
function describeCause(error: Error): string {
  return error.cause instanceof Error ? error.cause.message : error.message;
}
