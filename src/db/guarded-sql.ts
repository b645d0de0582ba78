import type { SQL } from "bun";
import type { CircuitBreaker } from "../lib/circuit-breaker";
import {
  classifyDatabaseError,
  DatabaseTimeoutError,
  DatabaseUnavailableError,
  databaseUnavailableMessage,
} from "./errors";

export interface QueryGuard {
  /** Rejects every query still waiting, at once (the circuit just opened). */
  failAll(): void;
  /** Queries waiting for an answer now. */
  pending(): number;
}

interface Pending {
  due: number;
  query: { cancel(): unknown };
  reject: (error: unknown) => void;
  done: boolean;
}

/**
 * Bun's SQL with a deadline on every query and a circuit breaker in front, for the request path.
 * A query that runs out its deadline opens the circuit at once (a partition answers nothing, and
 * every request would wait as long); failures that come back quickly open it after a few in a row.
 * Every query run through `sql`, `sql.unsafe` or `sql.begin` (the whole transaction) is rejected
 * with DatabaseTimeoutError if it has no answer within `timeoutMs` (and cancelled), at once with
 * DatabaseUnavailableError while the breaker is open, and with the database layer's typed error
 * when the driver fails. Fragments (`sql\`and x = ${1}\``) are never run on their own, so they
 * are untouched: the deadline starts when a query is awaited.
 *
 * The deadline costs no timer per query: one sweep every `timeoutMs / 15` (at most 100 ms) while
 * queries are pending, so a query is given up between timeoutMs and timeoutMs + one sweep.
 */
export function guardSql(
  sql: SQL,
  options: { timeoutMs: number; breaker: CircuitBreaker },
): {
  sql: SQL;
  guard: QueryGuard;
} {
  const { timeoutMs, breaker } = options;
  const sweepMs = Math.max(5, Math.min(100, Math.round(timeoutMs / 15)));
  const waiting = new Set<Pending>();
  let sweeper: ReturnType<typeof setInterval> | undefined;

  const settle = (entry: Pending) => {
    entry.done = true;
    waiting.delete(entry);
  };
  const sweep = () => {
    const now = performance.now();
    for (const entry of waiting) {
      if (entry.done || entry.due > now) continue;
      settle(entry);
      // A query stuck behind a dead connection must not hold a pool slot after we gave up.
      entry.query.cancel();
      entry.reject(new DatabaseTimeoutError(databaseUnavailableMessage));
      breaker.trip();
    }
    if (waiting.size === 0) {
      clearInterval(sweeper);
      sweeper = undefined;
    }
  };

  /** Runs `start` (which settles through the two callbacks) under the breaker and the deadline. */
  const run = <T>(
    query: { cancel(): unknown },
    start: (resolve: (v: T) => void, reject: (e: unknown) => void) => void,
  ): Promise<T> => {
    if (!breaker.allow()) return Promise.reject(new DatabaseUnavailableError(databaseUnavailableMessage));
    return new Promise<T>((resolve, reject) => {
      const entry: Pending = { due: performance.now() + timeoutMs, query, reject, done: false };
      waiting.add(entry);
      sweeper ??= setInterval(sweep, sweepMs);
      start(
        (value) => {
          if (entry.done) return;
          settle(entry);
          breaker.success();
          resolve(value);
        },
        (error) => {
          if (entry.done) return;
          settle(entry);
          const typed = classifyDatabaseError(error);
          // Only "the database is not there" counts against it; a conflict is an answer.
          if (typed instanceof DatabaseUnavailableError) breaker.failure();
          else breaker.success();
          reject(typed ?? error);
        },
      );
    });
  };

  /** Makes a Query start under the guard when it is awaited (then is what await calls). */
  const guarded = <Q>(query: Q): Q => {
    if (!(query instanceof Promise) || typeof (query as { cancel?: unknown }).cancel !== "function") return query;
    const start = query.then;
    const q = query as unknown as { cancel(): unknown };
    // biome-ignore lint/suspicious/noThenProperty: on purpose: await calls it, and it starts the query.
    Object.defineProperty(query, "then", {
      configurable: true,
      value(onFulfilled?: (v: unknown) => unknown, onRejected?: (e: unknown) => unknown) {
        return run(q, (resolve, reject) => start.call(query, resolve, reject)).then(onFulfilled, onRejected);
      },
    });
    return query;
  };

  const bound = new Map<PropertyKey, unknown>();
  const proxy = new Proxy(sql, {
    apply(target, thisArg, args) {
      return guarded(Reflect.apply(target, thisArg, args));
    },
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (property === "unsafe") {
        return (...args: unknown[]) => guarded(Reflect.apply(value as (...a: unknown[]) => unknown, target, args));
      }
      if (property === "begin" || property === "transaction") {
        // A transaction's own queries are not guarded one by one: the transaction as a whole is.
        return (...args: unknown[]) => {
          let transaction: Promise<unknown> | undefined;
          const cancel = { cancel: () => {} };
          return run(cancel, (resolve, reject) => {
            transaction = Reflect.apply(value as (...a: unknown[]) => Promise<unknown>, target, args);
            transaction.then(resolve, reject);
          });
        };
      }
      if (typeof value !== "function") return value;
      let method = bound.get(property);
      if (method === undefined) {
        method = value.bind(target);
        bound.set(property, method);
      }
      return method;
    },
  });

  return {
    sql: proxy,
    guard: {
      failAll() {
        for (const entry of waiting) {
          settle(entry);
          entry.query.cancel();
          entry.reject(new DatabaseUnavailableError(databaseUnavailableMessage));
        }
      },
      pending: () => waiting.size,
    },
  };
}
