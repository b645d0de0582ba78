import type { AppDeps } from "./app";
import type { Config } from "./config";
import { type Database, openDatabase } from "./db/database";
import { mapDatabaseError } from "./db/errors";
import { migrate, pendingMigrations } from "./db/migrate";
import { createKeyUseTracker } from "./modules/api-keys/last-used";
import { createApiKeyRepository } from "./modules/api-keys/repository";
import { createRevocationBus } from "./modules/auth/revocation-bus";
import { accessLog, type ResponseObserver } from "./observability/access-log";
import { createLineWriter } from "./observability/line-writer";
import type { Logger } from "./observability/logger";

export interface Dependencies {
  app: AppDeps;
  databaseKind: string;
  /** Run in order at shutdown: flush buffers first, then close connections. */
  cleanup: Array<() => Promise<unknown> | unknown>;
}

/** Builds every dependency the app needs from the configuration. The only place that opens connections. */
export async function buildDependencies(config: Config, logger: Logger): Promise<Dependencies> {
  if (config.jwt.generated) {
    logger.warn("JWT_SECRET/JWT_REFRESH_SECRET not set: using random per-process secrets (development only)");
  }
  const db = openDatabase(config.databaseUrl, { poolMax: config.dbPoolMax, prepare: config.dbPrepare });
  await prepareSchema(db, config, logger);

  const accessWriter = createLineWriter();
  const observers: ResponseObserver[] = [];
  const log = accessLog(config.logFormat, accessWriter);
  if (log) observers.push(log);

  const keyUse = createKeyUseTracker(createApiKeyRepository(db), logger);
  const bus = createRevocationBus({ logger });

  return {
    app: {
      config,
      logger,
      lifecycle: { shuttingDown: false },
      db,
      bus,
      keyUse,
      observers,
      errorMappers: [mapDatabaseError],
      readiness: { database: () => db.ping(800) },
    },
    databaseKind: db.dialect,
    cleanup: [() => keyUse.close(), () => accessWriter.flush(), () => logger.flush(), () => db.close()],
  };
}

/** Applies pending migrations (MIGRATE_ON_START) or refuses to serve a database that is behind. */
async function prepareSchema(db: Database, config: Config, logger: Logger): Promise<void> {
  if (config.migrateOnStart) {
    const applied = await migrate(db);
    if (applied.length > 0) logger.info("applied migrations", { applied });
    return;
  }
  const pending = await pendingMigrations(db);
  if (pending.length > 0) {
    throw new Error(`the database is behind by ${pending.length} migration(s) (${pending.join(", ")}); run npm run migrate`);
  }
}
