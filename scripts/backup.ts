/**
 * npm run backup [-- --out <file>]: a consistent copy of DATABASE_URL (default: the embedded
 * SQLite) taken while the server runs. Default file: backups/revenue-api-<dialect>-<time>.{db,dump}.
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { parseArgs } from "node:util";
import { backupDatabase } from "../src/db/backup";
import { describeScriptError, loadDatabaseConfig } from "../src/db/script-config";

try {
  const { values } = parseArgs({ options: { out: { type: "string" } } });
  const { databaseUrl } = loadDatabaseConfig();
  const postgres = !databaseUrl.startsWith("sqlite://");
  const stamp = new Date()
    .toISOString()
    .replaceAll(":", "-")
    .replace(/\.\d+Z$/, "Z");
  const file =
    values.out ?? `backups/revenue-api-${postgres ? "postgres" : "sqlite"}-${stamp}.${postgres ? "dump" : "db"}`;
  mkdirSync(dirname(file), { recursive: true });
  const result = await backupDatabase(databaseUrl, file);
  console.log(
    `Backed up the ${result.dialect} database to ${result.file}: ${formatBytes(result.bytes)} in ${Math.round(result.ms)} ms.`,
  );
} catch (error) {
  console.error(`error: ${describeScriptError(error)}`);
  process.exitCode = 1;
}

function formatBytes(bytes: number): string {
  return bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
