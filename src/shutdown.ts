import type { Server } from "bun";
import type { Lifecycle } from "./modules/health";
import type { Logger } from "./observability/logger";

export interface ShutdownOptions {
  server: Server<unknown>;
  lifecycle: Lifecycle;
  logger: Logger;
  delayMs: number;
  timeoutMs: number;
  /** Flush buffers and close dependencies, in order. */
  cleanup: Array<() => Promise<unknown> | unknown>;
  exit?: (code: number) => void;
}

/**
 * SIGTERM/SIGINT: readiness turns 503 at once; keep serving for `delayMs` so load balancers notice;
 * stop accepting and let in-flight requests finish within `timeoutMs`; flush and close; exit 0.
 * A second signal exits at once.
 */
export function handleShutdownSignals(options: ShutdownOptions): void {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let started = false;
  const onSignal = (signal: string) => {
    if (started) {
      options.logger.warn("second signal, exiting now", { signal });
      options.logger.flush();
      exit(1);
      return;
    }
    started = true;
    shutdown(options, signal).then(
      () => exit(0),
      (error) => {
        options.logger.error("shutdown failed", { error: String(error) });
        exit(1);
      },
    );
  };
  process.on("SIGTERM", () => onSignal("SIGTERM"));
  process.on("SIGINT", () => onSignal("SIGINT"));
}

async function shutdown(options: ShutdownOptions, signal: string): Promise<void> {
  const { server, lifecycle, logger } = options;
  lifecycle.shuttingDown = true;
  logger.info("shutting down", { signal, delayMs: options.delayMs, timeoutMs: options.timeoutMs });
  if (options.delayMs > 0) await Bun.sleep(options.delayMs);

  const drained = server.stop(false).then(() => true);
  const timedOut = Bun.sleep(options.timeoutMs).then(() => false);
  if (!(await Promise.race([drained, timedOut]))) {
    logger.warn("in-flight requests did not finish in time; closing them", { pending: server.pendingRequests });
    await server.stop(true);
  }
  // The response observers (access log, usage rows) run in a setImmediate after the responses of a
  // turn; the cleanup below may finish in microtasks alone, so let those of the last responses run first.
  await new Promise((resolve) => setImmediate(resolve));
  for (const step of options.cleanup) {
    try {
      await step();
    } catch (error) {
      logger.error("cleanup step failed", { error: String(error) });
    }
  }
  logger.info("shutdown complete");
  logger.flush();
}
