/** 0, 1, 2: the values of the `circuit_breaker_state` gauge. */
export type CircuitState = "closed" | "open" | "half-open";

export const circuitStateValue: Record<CircuitState, number> = { closed: 0, open: 1, "half-open": 2 };

/** Thrown by `run` while the circuit refuses calls: the dependency is known to be down. */
export class CircuitOpenError extends Error {
  readonly dependency: string;
  constructor(dependency: string) {
    super(`${dependency} is unavailable (circuit open)`);
    this.name = "CircuitOpenError";
    this.dependency = dependency;
  }
}

export interface CircuitBreakerOptions {
  /** The dependency, as the gauge's label and the log line name it: database, ai, smtp. */
  name: string;
  /** Consecutive failures that open the circuit; default 3. */
  failureThreshold?: number;
  /** The first wait before a probe; doubled after each failed probe up to maxOpenMs. Default 250. */
  openMs?: number;
  /** Default 2000: a dependency that is back is noticed within about this long. */
  maxOpenMs?: number;
  /**
   * A cheap check of the dependency (Postgres `select 1`). With one, the breaker probes by itself
   * when the wait is over and every call waits for the verdict; without one, the first call after
   * the wait is the probe. Either way one probe runs at a time.
   */
  probe?: () => Promise<unknown>;
  /** One line per transition. */
  onTransition?: (from: CircuitState, to: CircuitState, fields: { failures: number; openMs: number }) => void;
  now?: () => number;
}

export interface CircuitBreaker {
  readonly name: string;
  state(): CircuitState;
  /**
   * Whether a call may go to the dependency now. true in closed; in open once the wait is over,
   * for exactly one caller (the probe), which must then report success() or failure().
   */
  allow(): boolean;
  success(): void;
  failure(): void;
  /** Opens at once, whatever the count: a deadline ran out, and waiting more would pile callers up. */
  trip(): void;
  /** fn through the breaker: CircuitOpenError at once while open; isFailure says which errors count. */
  run<T>(fn: () => Promise<T>, isFailure?: (error: unknown) => boolean): Promise<T>;
  /** Stops a scheduled probe (shutdown). */
  close(): void;
}

/**
 * A circuit breaker: after `failureThreshold` failures in a row the dependency is taken as down
 * and calls fail at once instead of each waiting out its own deadline; a single probe, with
 * exponential backoff between probes, closes it again.
 */
export function createCircuitBreaker(options: CircuitBreakerOptions): CircuitBreaker {
  const threshold = options.failureThreshold ?? 3;
  const firstOpenMs = options.openMs ?? 250;
  const maxOpenMs = options.maxOpenMs ?? 2000;
  const now = options.now ?? performance.now.bind(performance);
  let state: CircuitState = "closed";
  let failures = 0;
  let waitMs = firstOpenMs;
  let retryAt = 0;
  let probeTimer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;

  const moveTo = (next: CircuitState) => {
    if (next === state) return;
    const from = state;
    state = next;
    options.onTransition?.(from, next, { failures, openMs: waitMs });
  };

  const open = () => {
    moveTo("open");
    retryAt = now() + waitMs;
    if (options.probe && !closed) {
      clearTimeout(probeTimer);
      probeTimer = setTimeout(runProbe, waitMs);
      probeTimer.unref?.();
    }
  };

  const runProbe = () => {
    if (closed || state !== "open") return;
    moveTo("half-open");
    (options.probe as () => Promise<unknown>)().then(
      () => breaker.success(),
      () => breaker.failure(),
    );
  };

  const breaker: CircuitBreaker = {
    name: options.name,
    state: () => state,
    allow() {
      if (state === "closed") return true;
      if (state === "half-open" || options.probe) return false;
      if (now() < retryAt) return false;
      moveTo("half-open");
      return true;
    },
    success() {
      failures = 0;
      waitMs = firstOpenMs;
      moveTo("closed");
    },
    failure() {
      failures++;
      if (state === "half-open") {
        // The probe failed: wait longer before the next one.
        waitMs = Math.min(waitMs * 2, maxOpenMs);
        open();
      } else if (state === "closed" && failures >= threshold) {
        open();
      }
    },
    trip() {
      failures++;
      if (state === "half-open") waitMs = Math.min(waitMs * 2, maxOpenMs);
      if (state !== "open") open();
    },
    async run(fn, isFailure = () => true) {
      if (!breaker.allow()) throw new CircuitOpenError(options.name);
      try {
        const value = await fn();
        breaker.success();
        return value;
      } catch (error) {
        if (isFailure(error)) breaker.failure();
        else breaker.success();
        throw error;
      }
    },
    close() {
      closed = true;
      clearTimeout(probeTimer);
    },
  };
  return breaker;
}

/** A readiness check that fails while the circuit is not closed, without calling the dependency. */
export function circuitReadiness(breaker: CircuitBreaker): () => Promise<void> {
  return async () => {
    if (breaker.state() !== "closed") throw new CircuitOpenError(breaker.name);
  };
}
