import type { SQL } from "bun";
import { ArrivalList } from "../lib/arrival-list";
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
  /** Answers the pool had given when this query started. */
  answeredBefore: number;
  query: { cancel(): unknown };
  reject: (error: unknown) => void;
  prev: Pending | undefined;
  next: Pending | undefined;
  /** Still waiting: neither answered nor given up (src/lib/arrival-list.ts). */
  listed: boolean;
}

/**
 * Bun's SQL with a deadline on every query and a circuit breaker in front, for the request path.
 * A query that runs out its deadline while nothing else was answered opens the circuit at once (a
 * partition answers nothing, and every request would wait as long); one that misses it while
 * others are answered is a slow query and counts as one failure, as failures that come back
 * quickly do (three in a row open it).
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
  // In start order, which is deadline order (one timeout for all; src/lib/arrival-list.ts).
  const waiting = new ArrivalList<Pending>();
  /** Queries answered so far: a deadline missed while others are answered is one slow query. */
  let answered = 0;
  /** What a transaction "cancels" at its deadline: Bun cannot cancel one; the caller is released. */
  const noCancel = { cancel() {} };
  let sweeper: ReturnType<typeof setInterval> | undefined;

  const sweep = () => {
    const now = performance.now();
    for (let entry = waiting.oldest; entry && entry.due <= now; entry = waiting.oldest) {
      waiting.remove(entry);
      // A query stuck behind a dead connection must not hold a pool slot after we gave up.
      entry.query.cancel();
      entry.reject(new DatabaseTimeoutError(databaseUnavailableMessage));
      // A partition answers nothing: trip. But when other queries were answered meanwhile, this is
      // one slow query (or a transaction waiting for a row lock): one failure, not an outage.
      if (entry.query === noCancel || answered !== entry.answeredBefore) breaker.failure();
      else breaker.trip();
    }
    if (waiting.size === 0) {
      clearInterval(sweeper);
      sweeper = undefined;
    }
  };

  /** Runs `start` (which answers through the two callbacks) under the breaker and the deadline. */
  const run = <T>(
    query: { cancel(): unknown },
    start: (resolve: (v: T) => void, reject: (e: unknown) => void) => void,
  ): Promise<T> => {
    if (!breaker.allow()) return Promise.reject(new DatabaseUnavailableError(databaseUnavailableMessage));
    return new Promise<T>((resolve, reject) => {
      const entry: Pending = {
        due: performance.now() + timeoutMs,
        answeredBefore: answered,
        query,
        reject,
        prev: undefined,
        next: undefined,
        listed: false,
      };
      waiting.append(entry);
      sweeper ??= setInterval(sweep, sweepMs);
      start(
        (value) => {
          answered++;
          if (!waiting.remove(entry)) return;
          breaker.success();
          resolve(value);
        },
        (error) => {
          if (!waiting.remove(entry)) return;
          const typed = classifyDatabaseError(error);
          // Only "the database is not there" counts against it; a conflict is an answer.
          if (typed instanceof DatabaseUnavailableError) breaker.failure();
          else {
            answered++;
            breaker.success();
          }
          reject(typed ?? error);
        },
      );
    });
  };

  // Query.prototype.then, which starts a query; taken from the first query made.
  let startQuery: ((this: unknown, ...callbacks: unknown[]) => unknown) | undefined;
  /** Shared by every guarded query (`this` is the query): starts it under the guard when awaited. */
  function guardedThen(
    this: { cancel(): unknown },
    onFulfilled?: (value: unknown) => unknown,
    onRejected?: (error: unknown) => unknown,
  ) {
    return run(this, (resolve, reject) =>
      (startQuery as NonNullable<typeof startQuery>).call(this, resolve, reject),
    ).then(onFulfilled, onRejected);
  }
  /**
   * Marks a Query so that it starts under the guard: an own `then`, which await calls. A plain
   * assignment of one shared function: fragments are made by the dozen per request, most never run.
   */
  const guarded = <Q>(query: Q): Q => {
    if (!(query instanceof Promise)) return query;
    startQuery ??= Object.getPrototypeOf(query).then;
    // biome-ignore lint/suspicious/noThenProperty: on purpose: await calls it, and it starts the query.
    (query as unknown as { then: unknown }).then = guardedThen;
    return query;
  };

  const call = sql as unknown as (...args: unknown[]) => unknown;
  const unsafe = (...args: unknown[]) => guarded((sql.unsafe as (...a: unknown[]) => unknown)(...args));
  // A transaction's own queries are not guarded one by one: the transaction as a whole is.
  const begin = (...args: unknown[]) =>
    run(noCancel, (resolve, reject) => {
      (sql.begin as (...a: unknown[]) => Promise<unknown>)(...args).then(resolve, reject);
    });
  const bound = new Map<PropertyKey, unknown>();
  const methods = new Proxy(sql, {
    get(target, property) {
      if (property === "unsafe") return unsafe;
      if (property === "begin" || property === "transaction") return begin;
      const value = Reflect.get(target, property);
      if (typeof value !== "function") return value;
      let method = bound.get(property);
      if (method === undefined) {
        method = value.bind(target);
        bound.set(property, method);
      }
      return method;
    },
  });
  // A plain function for the call (a Proxy's apply trap costs more, and a request makes a dozen
  // fragments); its methods come from the pool through the prototype.
  const guardedSql = (...args: unknown[]) => guarded(call(...args));
  Object.setPrototypeOf(guardedSql, methods);
  const proxy = guardedSql as unknown as SQL;

  return {
    sql: proxy,
    guard: {
      failAll() {
        for (let entry = waiting.oldest; entry; entry = waiting.oldest) {
          waiting.remove(entry);
          entry.query.cancel();
          entry.reject(new DatabaseUnavailableError(databaseUnavailableMessage));
        }
      },
      pending: () => waiting.size,
    },
  };
}
