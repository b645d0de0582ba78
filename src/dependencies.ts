import type { AppDeps } from "./app";
import type { Config } from "./config";
import { type Database, openDatabase } from "./db/database";
import { migrate, pendingMigrations } from "./db/migrate";
import { ensureDevelopmentSeed } from "./db/seed";
import { type CircuitBreaker, circuitReadiness, createCircuitBreaker } from "./lib/circuit-breaker";
import { smtpReadiness } from "./mail/readiness";
import { createMailer } from "./mail/transport";
import { createEmailWorker } from "./mail/worker";
import { createOpenAiProvider } from "./modules/ai/provider";
import { createKeyUseTracker } from "./modules/api-keys/last-used";
import { createApiKeyRepository } from "./modules/api-keys/repository";
import { createHashWorkers } from "./modules/auth/hash-workers";
import { createRevocationBus } from "./modules/auth/revocation-bus";
import { evaluateReadiness, informational, type ReadinessCheck } from "./modules/health";
import { redisWriteGenerations } from "./modules/organizations/write-generations";
import { createUsageRepository } from "./modules/usage/repository";
import { accessLog, type ResponseObserver } from "./observability/access-log";
import { logCircuitTransitions } from "./observability/circuit-log";
import { createErrorTracker } from "./observability/error-tracker";
import { createLineWriter } from "./observability/line-writer";
import type { Logger } from "./observability/logger";
import { createMetrics } from "./observability/metrics";
import { createUsageRecorder } from "./observability/usage-recorder";
import { createRateLimiter } from "./ratelimit/limiter";
import { redisReadiness } from "./ratelimit/readiness";
import { closeRedis, createCounterRedis, createRedis, createRedisSubscriber, waitForRedis } from "./redis/client";

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
  const db = openDatabase(config.databaseUrl, {
    poolMax: config.dbPoolMax,
    prepare: config.dbPrepare,
    queryTimeoutMs: config.dbQueryTimeoutMs,
    connectTimeoutMs: config.dbConnectTimeoutMs,
    onCircuitTransition: logCircuitTransitions(logger, "database"),
  });
  await prepareSchema(db, config, logger);
  if (config.env === "development" && config.embeddedDatabase) {
    // A fresh checkout on the embedded database is usable at once: seed it and say how to sign in.
    await ensureDevelopmentSeed(db, (line) => process.stdout.write(`${line}\n`), { hash: config.passwordHash });
  }

  const accessWriter = createLineWriter();
  const observers: ResponseObserver[] = [];
  const log = accessLog(config.logFormat, accessWriter);
  if (log) observers.push(log);

  const keyUse = createKeyUseTracker(createApiKeyRepository(db), logger);
  const redis = config.redis ? createRedis(config.redis, logger) : undefined;
  const subscriber = config.redis ? createRedisSubscriber(config.redis, logger) : undefined;
  const bus = createRevocationBus({ logger, publisher: redis, subscriber });
  // Read on every page of a cached list: as short a wait as the limiter's before Postgres is asked.
  const generations = redis && redisWriteGenerations(redis, { timeoutMs: config.rateLimitRedisTimeoutMs });

  // The limiter's own connection (auto-pipelined: a turn's scripts go out in one write per node).
  const counters = config.redis ? createCounterRedis(config.redis, logger) : undefined;
  // A short wait so the first requests are counted in Redis; if it is down, limits start in memory.
  if (redis && counters) await Promise.all([waitForRedis(redis, 2000), waitForRedis(counters, 2000)]);
  const limiter = createRateLimiter({ config, redis: counters, logger });

  const passwordWork = createHashWorkers(config.passwordHashing.concurrency);
  // Without SMTP_URL (outside development) there is no mailer: emails stay queued until one is set.
  const mailer = createMailer(config, logger, (verify) =>
    // SMTP is not on the request path: probe the relay (a verify) less eagerly than the database.
    createCircuitBreaker({
      name: "smtp",
      probe: verify,
      maxOpenMs: 30_000,
      onTransition: logCircuitTransitions(logger, "smtp"),
    }),
  );
  const worker = mailer && createEmailWorker({ db, mailer, logger });
  worker?.start();

  const aiBreaker = createCircuitBreaker({ name: "ai", onTransition: logCircuitTransitions(logger, "ai") });
  const ai = createOpenAiProvider(config.ai, { logger, breaker: aiBreaker });

  const errors = createErrorTracker(config, logger);
  const usage = config.usage.enabled
    ? createUsageRecorder({ insert: createUsageRepository(db).insertColumns, settings: config.usage, logger })
    : undefined;
  if (usage) observers.push(usage.observe);
  const lifecycle = { shuttingDown: false };
  const readiness: Record<string, ReadinessCheck> = {
    database: () => db.ping(800),
    redis: redis && redisReadiness(redis, limiter),
    smtp: mailer?.kind === "smtp" ? informational(smtpReadiness(mailer)) : undefined,
    ai: ai && informational(circuitReadiness(aiBreaker)),
  };
  const metrics = createMetrics({
    rateLimitStore: () => limiter.storeState(),
    usage: usage?.stats,
    readiness: () => evaluateReadiness(readiness, lifecycle),
    circuits: [db.breaker, ai && aiBreaker, mailer?.breaker].filter((c): c is CircuitBreaker => c !== undefined),
  });
  observers.push(metrics.observe);

  return {
    app: {
      config,
      logger,
      lifecycle,
      db,
      bus,
      generations,
      keyUse,
      limiter,
      mailer,
      ai,
      passwordWork,
      observers,
      metrics,
      onServerError: errors.capture,
      readiness,
    },
    databaseKind: db.dialect,
    cleanup: [
      () => worker?.stop(),
      () => mailer?.close(),
      () => passwordWork.close(),
      () => keyUse.close(),
      () => usage?.close(),
      () => accessWriter.flush(),
      () => errors.close(2000),
      () => logger.flush(),
      () => db.close(),
      () => limiter.close(),
      () => counters && closeRedis(counters),
      () => redis && closeRedis(redis),
      () => subscriber && closeRedis(subscriber),
    ],
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
    throw new Error(
      `the database is behind by ${pending.length} migration(s) (${pending.join(", ")}); run npm run migrate`,
    );
  }
}
