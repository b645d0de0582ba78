import type { CircuitBreakerOptions } from "../lib/circuit-breaker";
import type { Logger } from "./logger";

/** One log line per transition of a dependency's circuit: a warning when it opens, info otherwise. */
export function logCircuitTransitions(
  logger: Logger,
  dependency: string,
): NonNullable<CircuitBreakerOptions["onTransition"]> {
  return (from, to, { failures, openMs }) => {
    const fields = { dependency, from, to, failures };
    if (to === "open") logger.warn("circuit breaker open", { ...fields, probeInMs: openMs });
    else logger.info(`circuit breaker ${to}`, fields);
  };
}
