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
    // Bun closes a connection whose request is not answered within this many seconds (on a 4 s
    // tick), silently. The app answers 503 at REQUEST_TIMEOUT_S (src/http/in-flight.ts): this sits
    // above it, a backstop for a connection the app never saw whole.
    idleTimeout: Math.min(255, config.requestTimeoutSeconds + 5),
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
