/** Raised when a task cannot start: every slot is taken and the queue is full, or its wait ran out. */
export class GateBusyError extends Error {
  constructor(reason: "queue full" | "wait timed out") {
    super(`concurrency gate busy: ${reason}`);
    this.name = "GateBusyError";
  }
}

export interface ConcurrencyGateOptions {
  /** Tasks running at once. */
  concurrency: number;
  /** Tasks allowed to wait for a slot; past it a task is refused at once. */
  queueMax: number;
  /** How long a task may wait for a slot before it is refused. */
  waitMs: number;
}

export interface ConcurrencyGate {
  /** Runs `task` in a free slot, waiting first if need be; rejects with GateBusyError instead of waiting long. */
  run<T>(task: () => Promise<T>): Promise<T>;
}

interface Waiter {
  start: () => void;
  timer: ReturnType<typeof setTimeout>;
}

/** A bounded number of tasks at once, and a bounded queue with a deadline in front of them (FIFO). */
export function createConcurrencyGate(options: ConcurrencyGateOptions): ConcurrencyGate {
  let active = 0;
  const waiting: Waiter[] = [];

  const acquire = (): Promise<void> | undefined => {
    if (active < options.concurrency) {
      active++;
      return undefined;
    }
    if (waiting.length >= options.queueMax) return Promise.reject(new GateBusyError("queue full"));
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        start: resolve,
        timer: setTimeout(() => {
          waiting.splice(waiting.indexOf(waiter), 1);
          reject(new GateBusyError("wait timed out"));
        }, options.waitMs),
      };
      waiting.push(waiter);
    });
  };

  // A finished task hands its slot to the longest waiter, so `active` only drops when none waits.
  const release = () => {
    const next = waiting.shift();
    if (!next) {
      active--;
      return;
    }
    clearTimeout(next.timer);
    next.start();
  };

  return {
    async run(task) {
      await acquire();
      try {
        return await task();
      } finally {
        release();
      }
    },
  };
}
