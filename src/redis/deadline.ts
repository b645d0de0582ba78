import { type ArrivalEntry, ArrivalList } from "../lib/arrival-list";
import { TimeoutError } from "../lib/timeout";

const tickMs = 10;

/** Bounds the wait for a reply (what createReplyDeadline returns). */
export type ReplyDeadline = <T>(reply: Promise<T>) => Promise<T>;

/**
 * `(promise) => promise` that rejects with TimeoutError once Redis has been silent for `ms` of
 * time in which this process could have read its answer.
 *
 * A plain timer (ioredis's commandTimeout is one) cannot tell a silent Redis from a busy event
 * loop: after a long synchronous stretch (a burst of requests, a GC pause) the timer runs before
 * the reply that already arrived is read, or before the command was even written, and a healthy
 * Redis looks down. So the time counted here advances only on ticks that come on time; a late
 * tick means the loop was busy and counts for nothing. A silent Redis is still given up on after
 * about `ms`, since a free loop ticks on time.
 */
export function createReplyDeadline(ms: number): ReplyDeadline {
  // Oldest first, which is deadline order: every wait has the same `ms` on one clock.
  const pending = new ArrivalList<Waiting>();
  let clock = 0;
  let last = 0;
  let ticker: ReturnType<typeof setInterval> | undefined;

  const tick = () => {
    const now = performance.now();
    const elapsed = now - last;
    last = now;
    if (elapsed <= 2 * tickMs) clock += elapsed;
    for (let entry = pending.oldest; entry && entry.due <= clock; entry = pending.oldest) {
      pending.remove(entry);
      entry.reject(new TimeoutError(ms));
    }
    if (pending.size === 0) {
      clearInterval(ticker);
      ticker = undefined;
    }
  };

  return <T>(promise: Promise<T>) =>
    new Promise<T>((resolve, reject) => {
      const entry: Waiting = { due: clock + ms, reject, listed: false, prev: undefined, next: undefined };
      pending.append(entry);
      if (!ticker) {
        last = performance.now();
        ticker = setInterval(tick, tickMs);
        ticker.unref();
      }
      promise.then(
        (value) => {
          if (pending.remove(entry)) resolve(value);
        },
        (error) => {
          if (pending.remove(entry)) reject(error);
        },
      );
    });
}

interface Waiting extends ArrivalEntry<Waiting> {
  due: number;
  reject: (error: unknown) => void;
}
