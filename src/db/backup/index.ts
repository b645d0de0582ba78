import { parseDatabaseUrl } from "../connection-url";
import { backupPostgres, restorePostgres } from "./postgres";
import type { BackupResult, RestoreResult } from "./shared";
import { backupSqlite, restoreSqlite } from "./sqlite";

export { BackupError, type BackupResult, type RestoreResult } from "./shared";

/**
 * A consistent copy of the database at `url` in `file`, taken while the server keeps writing:
 * SQLite's `VACUUM INTO` (one read transaction, so one snapshot), or `pg_dump` in custom format
 * (one repeatable-read snapshot). The copy is written beside `file` and renamed into place only
 * once complete, so a backup interrupted half-way never looks like a finished one.
 */
export function backupDatabase(url: string, file: string): Promise<BackupResult> {
  const parsed = parseDatabaseUrl(url);
  return parsed.dialect === "sqlite" ? backupSqlite(parsed.filename, file) : backupPostgres(parsed.url, file);
}

/**
 * Restores `file` into the database at `url`. Refuses a target that already holds the
 * application's tables unless `force` (then it replaces them).
 */
export function restoreDatabase(url: string, file: string, options: { force: boolean }): Promise<RestoreResult> {
  const parsed = parseDatabaseUrl(url);
  return parsed.dialect === "sqlite"
    ? restoreSqlite(file, parsed.filename, options)
    : restorePostgres(file, parsed.url, options);
}
