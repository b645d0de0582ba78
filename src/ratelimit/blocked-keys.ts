const sweepAbove = 10_000;

/**
 * Keys known to be exhausted until their window ends. While a key is here, the limiter refuses it
 * without asking Redis: a client hammering past its limit costs no Redis round trip.
 */
export function createBlockedKeys(now: () => number = Date.now) {
  const until = new Map<string, number>();
  return {
    /** The end of the key's block (epoch ms), or undefined when it is not blocked. */
    blockedUntil(key: string): number | undefined {
      const end = until.get(key);
      if (end === undefined) return undefined;
      if (end > now()) return end;
      until.delete(key);
      return undefined;
    },
    block(key: string, endMs: number): void {
      until.set(key, endMs);
      if (until.size > sweepAbove) {
        const time = now();
        for (const [k, end] of until) if (end <= time) until.delete(k);
      }
    },
  };
}

export type BlockedKeys = ReturnType<typeof createBlockedKeys>;
