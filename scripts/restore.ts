/**
 * npm run restore -- <file> [--force]: restores a backup made by npm run backup into DATABASE_URL.
 * Refuses a database that already holds the application's tables unless --force. Stop the
 * server first (SQLite: it keeps the old file open; Postgres: it would write meanwhile).
 */
import { parseArgs } from "node:util";
import { restoreDatabase } from "../src/db/backup";
import { describeScriptError, loadDatabaseConfig } from "../src/db/script-config";

try {
  const { values, positionals } = parseArgs({ options: { force: { type: "boolean" } }, allowPositionals: true });
  const file = positionals[0];
  if (!file || positionals.length > 1) throw new Error("usage: npm run restore -- <backup file> [--force]");
  const { databaseUrl } = loadDatabaseConfig();
  const result = await restoreDatabase(databaseUrl, file, { force: values.force ?? false });
  console.log(`Restored ${file} into the ${result.dialect} database in ${Math.round(result.ms)} ms. Rows:`);
  for (const [table, rows] of Object.entries(result.rows)) console.log(`  ${table.padEnd(18)} ${rows}`);
} catch (error) {
  console.error(`error: ${describeScriptError(error)}`);
  process.exitCode = 1;
}
