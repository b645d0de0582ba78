import { Elysia } from "elysia";
import type { Config } from "../config";
import { ArrivalList } from "../lib/arrival-list";
import type { ResponseDispatch, ResponseObserver } from "../observability/access-log";
import type { Logger } from "../observability/logger";
import { pathUnder } from "./cache-headers";
import { pathOf } from "./host-header";
import { type RateLimitWindows, rateLimitHeaders } from "./rate-limit";
import { requestIdFor } from "./request-id";
import { requestState } from "./request-state";
import { createUnavailableResponder } from "./unavailable";

export interface InFlightOptions {
  config: Pick<Config, "requestTimeoutSeconds" | "maxInFlight" | "allowedOrigins">;
  logger: Logger;
  /** The response observers (access log, usage, metrics): a timed-out request is recorded as its 503. */
  observers: ResponseObserver[];
  /** Advertised windows of the rate-limit policies, for the headers of a timed-out request. */
  windows: RateLimitWindows;
  /** The route template of a path, for the log line and the observers of a timed-out request. */
  routeOf: (method: string, path: string) => string | undefined;
  /** Told of every response the app gives (the response observers run from it). */
  dispatch?: ResponseDispatch;
  onShed?: () => void;
  onTimeout?: (route: string) => void;
  /** How often deadlines are checked; by default a twentieth of REQUEST_TIMEOUT_S, 50 ms to 1 s. */
  sweepMs?: number;
}

export interface InFlight {
  /** The Elysia plugin that wraps every request (Elysia `wrap`: it applies to the whole app). */
  plugin: Elysia;
  /** Requests being handled now, those past their deadline included until they finish. */
  running(): number;
}

/** A request whose handler is still running, in a list kept in arrival order (oldest first). */
interface Pending {
  request: Request;
  startedAt: number;
  answer: (response: Response) => void;
  prev: Pending | undefined;
  next: Pending | undefined;
  /** In the list: neither answered by its handler nor by the deadline yet. */
  listed: boolean;
}

const shedMessage = "The server is overloaded, please retry";
const timeoutMessage = "The request took too long, please retry";
const shedRetryAfterSeconds = 1;
const timeoutRetryAfterSeconds = 5;

/**
 * The request deadline and the bound on requests in flight, around the whole pipeline.
 *
 * A request still unanswered after REQUEST_TIMEOUT_S gets the 503 envelope; its handler's late
 * result is dropped. One interval, running only while requests are pending, checks the oldest
 * first (the list keeps arrival order), so a request costs no timer of its own. Past MAX_IN_FLIGHT
 * requests being handled, a new /api/v1 request is answered 503 before anything else runs;
 * /health, /health/ready and /metrics are never shed.
 */
export function createInFlight(options: InFlightOptions): InFlight {
  const { config, logger, observers, dispatch } = options;
  const timeoutMs = config.requestTimeoutSeconds * 1000;
  const sweepMs = options.sweepMs ?? Math.min(1000, Math.max(50, timeoutMs / 20));
  const unavailable = createUnavailableResponder(config);
  // In arrival order, which is deadline order (src/lib/arrival-list.ts): no Set, no timer per request.
  const pending = new ArrivalList<Pending>();
  let running = 0;
  let sweeper: ReturnType<typeof setInterval> | undefined;

  const sweep = () => {
    const now = performance.now();
    for (let entry = pending.oldest; entry && now - entry.startedAt >= timeoutMs; entry = pending.oldest) {
      pending.remove(entry);
      timeOut(entry, now);
    }
    if (!pending.oldest) {
      clearInterval(sweeper);
      sweeper = undefined;
    }
  };

  const timeOut = (entry: Pending, now: number) => {
    const { request } = entry;
    const state = requestState(request);
    const path = pathOf(request.url);
    const requestId = state?.id ?? requestIdFor(request.headers.get("x-request-id"));
    const route = state?.route ?? options.routeOf(request.method, path);
    const headers = state?.rateLimits ? rateLimitHeaders(state.rateLimits, options.windows) : undefined;
    entry.answer(
      unavailable(request, {
        requestId,
        message: timeoutMessage,
        retryAfterSeconds: timeoutRetryAfterSeconds,
        headers,
      }),
    );
    logger.warn("request deadline passed", { requestId, method: request.method, path, route, timeoutMs });
    options.onTimeout?.(route ?? "unmatched");
    if (!state) return;
    // What the client saw is what gets logged and counted; the late result is not recorded.
    state.timedOut = true;
    if (route) state.route = route;
    const record = { request, state, path, route, status: 503, bytes: undefined, durationMs: now - state.startedAt };
    for (const observe of observers) observe(record);
  };

  const shed = (request: Request): Response => {
    options.onShed?.();
    const requestId = requestIdFor(request.headers.get("x-request-id"));
    return unavailable(request, { requestId, message: shedMessage, retryAfterSeconds: shedRetryAfterSeconds });
  };

  const guard =
    (handle: (request: Request) => unknown) =>
    (request: Request): unknown => {
      if (running >= config.maxInFlight && sheddable(request.url)) return shed(request);
      const startedAt = performance.now();
      const result = handle(request);
      // Answered synchronously: nothing is in flight.
      if (!(result instanceof Promise)) {
        dispatch?.answered(request, result, startedAt);
        return result;
      }
      running++;
      return new Promise((resolve, reject) => {
        const entry: Pending = { request, startedAt, answer: resolve, prev: undefined, next: undefined, listed: false };
        pending.append(entry);
        sweeper ??= startSweeper(sweep, sweepMs);
        result.then(
          (response) => {
            running--;
            if (!pending.remove(entry)) return;
            resolve(response);
            dispatch?.answered(request, response, startedAt);
          },
          (error) => {
            running--;
            if (pending.remove(entry)) reject(error);
          },
        );
      });
    };

  return {
    // Elysia types a wrap as returning what the handler returns; it is called as wrap(handle, request)(request).
    plugin: new Elysia({ name: "in-flight" }).wrap(guard as never),
    running: () => running,
  };
}

function startSweeper(sweep: () => void, everyMs: number) {
  const timer = setInterval(sweep, everyMs);
  // A pending request keeps the server alive, not this timer.
  timer.unref();
  return timer;
}

/** Only /api/v1 is shed: probes and scrapes must see the server as it is, overloaded or not. */
function sheddable(url: string): boolean {
  return pathUnder(pathOf(url), "/api/v1");
}
