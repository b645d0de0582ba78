import { createApp } from "./app";
import { loadConfig } from "./config";
import { buildDependencies } from "./dependencies";
import { bareErrorResponse } from "./http/request-context";
import { createLogger } from "./observability/logger";
import { handleShutdownSignals } from "./shutdown";
import { exitOnStartupFailure } from "./startup-failure";

const logger = createLogger();

async function main() {
  const config = loadConfig();
  const deps = await buildDependencies(config, logger);
  const app = createApp(deps.app);
  app.listen({
    port: config.port,
    hostname: config.host,
    reusePort: config.reusePort,
    // Backstop only. The app refuses a body past BODY_LIMIT itself (413 envelope, Connection:
    // close, nothing more read); a declared length past this one gets Bun's bare 413 instead.
    maxRequestBodySize: Math.max(config.bodyLimit + 64 * 1024, 64 * 1024 * 1024),
    // Bun closes a request that has not been answered within this many seconds, however slowly
    // its body trickles in: the bound on slow uploads, and on any handler (so above AI_TIMEOUT_MS).
    idleTimeout: config.requestTimeoutSeconds,
    error: (error) => {
      logger.error("unhandled server error", { error: String(error) });
      return bareErrorResponse(500, "Internal server error", new Request("http://localhost/"));
    },
  });
  const server = app.server;
  if (!server) throw new Error("server did not start");
  logger.info("listening", { port: server.port, env: config.env, database: deps.databaseKind });
  handleShutdownSignals({
    server,
    lifecycle: deps.app.lifecycle,
    logger,
    delayMs: config.shutdownDelayMs,
    timeoutMs: config.shutdownTimeoutMs,
    cleanup: deps.cleanup,
  });
}

main().catch((error) => exitOnStartupFailure(error, logger));
