import type { Counter, CounterState, RateLimitStore, StoreOutcome } from "./store";

const sweepIntervalMs = 30_000;

export interface MemoryStore extends RateLimitStore {
  /** Stops the sweep timer. */
  close(): void;
}

/**
 * Counters in this process only: the store without REDIS_URL, and the fallback while Redis is
 * unreachable. Expired windows are swept on a timer so idle clients do not pile up.
 */
export function createMemoryStore(now: () => number = Date.now): MemoryStore {
  const windows = new Map<string, CounterState>();
  const sweep = setInterval(() => {
    const time = now();
    for (const [key, state] of windows) if (state.resetAtMs <= time) windows.delete(key);
  }, sweepIntervalMs);
  sweep.unref();

  return {
    async consume(counters: Counter[]): Promise<StoreOutcome> {
      const time = now();
      const current = counters.map((c) => {
        const state = windows.get(c.key);
        return state && state.resetAtMs > time ? state : { count: 0, resetAtMs: time + c.windowMs };
      });
      const allowed = counters.every((c, i) => (current[i] as CounterState).count < c.max);
      if (!allowed) return { allowed, states: current.map((s) => ({ ...s })) };
      const states = counters.map((c, i) => {
        const next = {
          count: (current[i] as CounterState).count + 1,
          resetAtMs: (current[i] as CounterState).resetAtMs,
        };
        windows.set(c.key, next);
        return { ...next };
      });
      return { allowed, states };
    },
    close() {
      clearInterval(sweep);
    },
  };
}
