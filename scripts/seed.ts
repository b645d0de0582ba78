/**
 * npm run seed: one organization, an admin, a user and a viewer, and demo prospects; prints the
 * passwords once. Does nothing when the organization already has users. Refuses production
 * unless --force.
 */
import { openDatabase } from "../src/db/database";
import { describeScriptError, ensureMigrated, loadDatabaseConfig } from "../src/db/script-config";
import { formatCredentials, seedDatabase } from "../src/db/seed";

if (process.env.NODE_ENV?.trim() === "production" && !process.argv.includes("--force")) {
  console.error("error: refusing to seed with NODE_ENV=production; pass --force to seed anyway");
  process.exit(1);
}

try {
  const config = loadDatabaseConfig();
  const db = openDatabase(config.databaseUrl, { poolMax: 1, prepare: config.dbPrepare });
  try {
    await ensureMigrated(db, config);
    const result = await seedDatabase(db);
    if (result.created) for (const line of formatCredentials(result)) console.log(line);
    else console.log(`Already seeded: organization ${result.organizationId} has users; nothing changed.`);
  } finally {
    await db.close();
  }
} catch (error) {
  console.error(`error: ${describeScriptError(error)}`);
  process.exitCode = 1;
}
