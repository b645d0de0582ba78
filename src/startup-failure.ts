import { ConfigError } from "./config";
import type { Logger } from "./observability/logger";

/** One line, no stack, exit 1: start-up failures are configuration or reachability problems. */
export function exitOnStartupFailure(error: unknown, logger: Logger): never {
  const message =
    error instanceof ConfigError
      ? `Invalid configuration: ${error.message}`
      : `Start-up failed: ${error instanceof Error ? error.message : String(error)}`;
  process.stderr.write(`${message}\n`);
  logger.flush();
  process.exit(1);
}
