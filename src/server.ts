import { createApp } from "./app";
import { ConfigError, loadConfig } from "./config";
import { buildDependencies } from "./dependencies";
import { bareErrorResponse } from "./http/request-context";
import { createLogger } from "./observability/logger";
import { handleShutdownSignals } from "./shutdown";

const logger = createLogger();

async function main() {
  const config = loadConfig();
  const deps = await buildDependencies(config, logger);
  const app = createApp(deps.app);
  app.listen({
    port: config.port,
    hostname: config.host,
    reusePort: config.reusePort,
    // Backstop only: the body reader refuses past BODY_LIMIT with the envelope first.
    maxRequestBodySize: config.bodyLimit + 64 * 1024,
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

main().catch((error) => {
  // One line, no stack: start-up failures are configuration or reachability problems.
  const message =
    error instanceof ConfigError
      ? `Invalid configuration: ${error.message}`
      : `Start-up failed: ${error instanceof Error ? error.message : String(error)}`;
  process.stderr.write(`${message}\n`);
  logger.flush();
  process.exit(1);
});
