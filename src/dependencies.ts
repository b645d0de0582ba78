import type { AppDeps } from "./app";
import type { Config } from "./config";
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
  const accessWriter = createLineWriter();
  const observers: ResponseObserver[] = [];
  const log = accessLog(config.logFormat, accessWriter);
  if (log) observers.push(log);

  return {
    app: { config, logger, lifecycle: { shuttingDown: false }, observers, readiness: {} },
    databaseKind: config.databaseUrl.split(":")[0] ?? "unknown",
    cleanup: [() => accessWriter.flush(), () => logger.flush()],
  };
}
