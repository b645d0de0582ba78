import type { CounterState } from "./store";

/** A lease should last about this long at the key's observed rate: a Redis call per busy key every 250 ms. */
const horizonMs = 250;
/** The largest slice one call asks for, whatever the rate. */
const maxSlice = 10_000;
/** A lease unused this long is given back (its key went quiet on this instance). */
const idleMs = 1000;

/** One request admitted from a lease: its place in the window's count, and when the window ends. */
export interface Leased {
  position: number;
  resetAtMs: number;
}

/** Unused leased requests to give back to Redis. */
export interface Unused {
  key: string;
  count: number;
  windowId: number;
}

interface Entry {
  /** Requests of this key seen by this instance (from a lease or not). */
  arrivals: number;
  /** When the last ask for a lease went out, and `arrivals` then (0: never asked). */
  askedAt: number;
  askedArrivals: number;
  /** An ask is in flight: other requests meanwhile go to Redis one by one, as a cold key's do. */
  asking: boolean;
  /** Set while an ask for a slice is in flight: the key's other requests wait for its positions. */
  slice?: { settled: Promise<void>; settle: () => void };
  /** Leased positions not yet used: [from, to] pairs, oldest first. */
  ranges: number[];
  windowEndMs: number;
  windowId: number;
  usedAt: number;
}

/**
 * The slices of quota this instance holds for busy keys (Doorman's leases, Unkey's local
 * decisions). Each leased request is a position in the window's shared count, taken in Redis when
 * the lease was granted, so every instance together never admits more than the limit, and each
 * admitted request can still report its own remaining count. A key asks for a slice sized to its
 * observed rate (`horizonMs` worth of requests); Redis grants at most an eighth of what remains
 * (./redis-store.ts), so slices shrink to nothing near the limit and keys there are counted one
 * by one again, exactly. Cold keys (under 4 requests/s here) never get a slice.
 */
export function createLeases(now: () => number = Date.now) {
  const entries = new Map<string, Entry>();
  const entry = (key: string): Entry => {
    let found = entries.get(key);
    if (!found) {
      found = {
        arrivals: 0,
        askedAt: 0,
        askedArrivals: 0,
        asking: false,
        ranges: [],
        windowEndMs: 0,
        windowId: 0,
        usedAt: 0,
      };
      entries.set(key, found);
    }
    return found;
  };

  return {
    /**
     * Admits a request of `key` from the key's lease when one has a position left; counts it as an
     * arrival unless it is a second try (after waiting for a slice).
     */
    take(key: string, time: number, arrival = true): Leased | undefined {
      const e = entry(key);
      if (arrival) e.arrivals++;
      if (e.ranges.length === 0) return undefined;
      if (e.windowEndMs <= time) {
        e.ranges = [];
        return undefined;
      }
      const position = e.ranges[0] as number;
      if (position === e.ranges[1]) e.ranges.splice(0, 2);
      else e.ranges[0] = position + 1;
      e.usedAt = time;
      return { position, resetAtMs: e.windowEndMs };
    },

    /** Puts a taken position back (its request was refused by another policy). */
    putBack(key: string, leased: Leased): void {
      const e = entries.get(key);
      if (!e || e.windowEndMs !== leased.resetAtMs) return;
      e.ranges.unshift(leased.position, leased.position);
    },

    /** Whether `key` has leased positions left. */
    holds(key: string): boolean {
      return (entries.get(key)?.ranges.length ?? 0) > 0;
    },

    /**
     * How many requests beyond this one to ask Redis for: the key's rate since its last ask times
     * the horizon. 0 for a key seen for the first time, and while an ask is in flight.
     */
    want(key: string, time: number): number {
      const e = entry(key);
      if (e.asking) return 0;
      e.asking = true;
      const elapsed = time - e.askedAt;
      const seen = e.arrivals - e.askedArrivals;
      const first = e.askedAt === 0;
      e.askedAt = time;
      e.askedArrivals = e.arrivals;
      if (first) return 0;
      const extra = Math.min(maxSlice, Math.floor((seen * horizonMs) / Math.max(elapsed, 1)));
      if (extra > 0) {
        let settle = () => {};
        const settled = new Promise<void>((resolve) => {
          settle = resolve;
        });
        e.slice = { settled, settle };
      }
      return extra;
    },

    /**
     * While a slice for `key` is on its way: resolves when it has arrived (or its ask failed). A busy
     * key's requests wait for it instead of each being counted in Redis on its own.
     */
    sliceOnItsWay(key: string): Promise<void> | undefined {
      return entries.get(key)?.slice?.settled;
    },

    /** The answer to an ask (undefined when it failed): keeps the granted positions beyond the first. */
    settle(key: string, state: CounterState | undefined): void {
      const e = entries.get(key);
      if (!e) return;
      e.asking = false;
      const waiting = e.slice;
      e.slice = undefined;
      // After the positions are in place (below), on the next microtask.
      if (waiting) queueMicrotask(waiting.settle);
      const granted = state?.granted ?? 1;
      if (!state || granted <= 1) return;
      if (e.windowId !== state.windowId) e.ranges = [];
      e.ranges.push(state.count - granted + 2, state.count);
      e.windowEndMs = state.resetAtMs;
      e.windowId = state.windowId ?? 0;
      e.usedAt = now();
    },

    /**
     * Forgets keys whose window has ended and returns the leases that have gone unused for a while
     * (or all of them, at shutdown), to be given back.
     */
    reclaim(all = false): Unused[] {
      const time = now();
      const unused: Unused[] = [];
      for (const [key, e] of entries) {
        if (e.windowEndMs <= time && e.askedAt + idleMs <= time && !e.asking) {
          entries.delete(key);
          continue;
        }
        if (e.ranges.length === 0 || (!all && e.usedAt + idleMs > time)) continue;
        let count = 0;
        for (let i = 0; i < e.ranges.length; i += 2) count += (e.ranges[i + 1] as number) - (e.ranges[i] as number) + 1;
        e.ranges = [];
        unused.push({ key, count, windowId: e.windowId });
      }
      return unused;
    },

    size: () => entries.size,
  };
}

export type Leases = ReturnType<typeof createLeases>;
