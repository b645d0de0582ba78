import type { TraceContext } from "../lib/trace-context";
import type { Principal } from "../modules/auth/principal";
import type { PolicyState } from "../ratelimit/decision";

/**
 * Per-request facts that every later hook needs, including hooks that run for requests no route
 * matched (404, 405, 413), where Elysia's derive/resolve never ran. Kept on the Request object.
 */
export interface RequestState {
  id: string;
  startedAt: number;
  ip: string;
  /** The path, once Elysia has found it (the response observers read it from here). */
  path?: string;
  /** Route template once matched, e.g. /api/v1/prospects/:id. */
  route?: string;
  principal?: Principal;
  /** Body bytes sent, when the response finisher serialized the body (for the access log). */
  bytes?: number;
  /** W3C trace context, once something asked for it (http/trace.ts). */
  trace?: TraceContext;
  /** Rate-limit policies already counted for this request and what each said (the rateLimit macro). */
  rateLimits?: PolicyState[];
  /** Answered 503 by the request deadline; whatever the handler returns later is dropped. */
  timedOut?: boolean;
}

// A property of the Request under a symbol no other code holds, rather than a WeakMap entry: a
// WeakMap's entries are weighed at every garbage collection, ~0.12 µs a request more (micro).
const stateKey = Symbol("request state");
type WithState = Request & { [stateKey]?: RequestState };

export function setRequestState(request: Request, state: RequestState): void {
  (request as WithState)[stateKey] = state;
}

export function requestState(request: Request): RequestState | undefined {
  return (request as WithState)[stateKey];
}
