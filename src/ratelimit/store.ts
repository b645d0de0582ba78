/** One policy's counter for one client: at most `max` requests per fixed window of `windowMs`. */
export interface Counter {
  key: string;
  max: number;
  windowMs: number;
  /**
   * Requests beyond this one to count now, for this instance to admit later from memory (a lease,
   * ./leases.ts). The store grants fewer as the remaining quota shrinks, and none near the limit.
   */
  extra?: number;
}

export interface CounterState {
  /** Requests counted in the current window, this one included when it was allowed (and its lease). */
  count: number;
  /** When the current window ends (epoch ms). */
  resetAtMs: number;
  /** How many the store counted for this request: 1 + the lease granted. Absent means 1. */
  granted?: number;
  /**
   * The window's identity in the store (its expiry there), to give an unused lease back to it.
   * `noWindowId` when the store cannot tell (Redis before 7): leases cannot work there.
   */
  windowId?: number;
}

export interface StoreOutcome {
  allowed: boolean;
  /** One per counter, in the order given. */
  states: CounterState[];
}

/**
 * A fixed-window counter store. `consume` is all or nothing: when any counter is already at its
 * maximum, nothing is counted and no window moves, so a refused request changes nothing a client
 * sees; otherwise every counter is incremented, each new window starting now.
 */
export interface RateLimitStore {
  consume(counters: Counter[]): Promise<StoreOutcome>;
}

/** A CounterState's windowId from a Redis that has no PEXPIRETIME (before 7.0). */
export const noWindowId = -1;
