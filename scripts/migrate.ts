/** npm run migrate: applies pending migrations to DATABASE_URL (default: the embedded SQLite). */
import { openDatabase } from "../src/db/database";
import { migrate } from "../src/db/migrate";
import { describeScriptError, loadDatabaseConfig } from "../src/db/script-config";

try {
  const config = loadDatabaseConfig();
  const db = openDatabase(config.databaseUrl, { poolMax: 1, prepare: config.dbPrepare });
  try {
    const applied = await migrate(db);
    console.log(applied.length === 0 ? "Database is up to date." : `Applied ${applied.join(", ")}.`);
  } finally {
    await db.close();
  }
} catch (error) {
  console.error(`error: ${describeScriptError(error)}`);
  process.exitCode = 1;
}
