import { Database } from "bun:sqlite";
import { copyFileSync, existsSync, renameSync, rmSync, statSync } from "node:fs";
import { applicationTables, BackupError, type BackupResult, type RestoreResult } from "./shared";

const busyTimeoutMs = 5000;

/**
 * VACUUM INTO from a read-only connection: a read transaction in WAL mode, so the server's
 * writes go on meanwhile and the copy holds exactly what was committed when it began.
 */
export async function backupSqlite(source: string, file: string): Promise<BackupResult> {
  if (source === ":memory:") throw new BackupError("an in-memory database cannot be backed up");
  if (!existsSync(source)) throw new BackupError(`no database file at ${source}`);
  const started = performance.now();
  const partial = `${file}.partial`;
  rmSync(partial, { force: true });
  const db = new Database(source, { readonly: true });
  try {
    db.run(`PRAGMA busy_timeout = ${busyTimeoutMs}`);
    db.prepare("VACUUM INTO ?").run(partial);
  } finally {
    db.close();
  }
  checkIntegrity(partial);
  renameSync(partial, file);
  return { dialect: "sqlite", file, bytes: statSync(file).size, ms: performance.now() - started };
}

/**
 * Checks the backup, then copies it over the target file (through a temporary file and a rename,
 * so the target is either the old database or the whole backup). The server must be stopped:
 * a running one keeps the old file open.
 */
export async function restoreSqlite(file: string, target: string, options: { force: boolean }): Promise<RestoreResult> {
  const started = performance.now();
  if (!existsSync(file)) throw new BackupError(`no backup file at ${file}`);
  checkIntegrity(file);
  if (existsSync(target) && !options.force && hasApplicationTables(target)) {
    throw new BackupError(`${target} already holds the application's tables; pass --force to replace them`);
  }
  const partial = `${target}.restoring`;
  copyFileSync(file, partial);
  // A WAL left beside the old file would be replayed into the restored one.
  for (const suffix of ["-wal", "-shm"]) rmSync(target + suffix, { force: true });
  renameSync(partial, target);
  return { dialect: "sqlite", ms: performance.now() - started, rows: countRows(target) };
}

function checkIntegrity(path: string): void {
  let db: Database;
  try {
    db = new Database(path, { readonly: true });
  } catch (error) {
    throw new BackupError(`${path} is not an SQLite database: ${(error as Error).message}`);
  }
  try {
    const rows = db.query("PRAGMA integrity_check").all() as { integrity_check: string }[];
    const verdict = rows.map((row) => row.integrity_check).join("; ");
    if (verdict !== "ok") throw new BackupError(`${path} failed the integrity check: ${verdict}`);
    if (!tablesOf(db).includes("schema_migrations")) {
      throw new BackupError(`${path} is not a backup of this application (no schema_migrations table)`);
    }
  } catch (error) {
    if (error instanceof BackupError) throw error;
    throw new BackupError(`${path} is not an SQLite database: ${(error as Error).message}`);
  } finally {
    db.close();
  }
}

function hasApplicationTables(path: string): boolean {
  const db = new Database(path, { readonly: true });
  try {
    return tablesOf(db).some((table) => applicationTables.includes(table));
  } finally {
    db.close();
  }
}

function tablesOf(db: Database): string[] {
  return (db.query("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map(
    (row) => row.name,
  );
}

function countRows(path: string): Record<string, number> {
  const db = new Database(path, { readonly: true });
  try {
    const present = new Set(tablesOf(db));
    const counts: Record<string, number> = {};
    for (const table of applicationTables.filter((name) => present.has(name))) {
      counts[table] = (db.query(`SELECT COUNT(*) AS n FROM "${table}"`).get() as { n: number }).n;
    }
    return counts;
  } finally {
    db.close();
  }
}
