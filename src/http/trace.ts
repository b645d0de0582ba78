import { newTraceContext, parseTraceparent, type TraceContext } from "../lib/trace-context";
import { requestState } from "./request-state";

/**
 * The request's trace: its valid `traceparent`'s, or one made now. Read when something needs it
 * (a log line, a Sentry event, an outgoing call), not on every request, and remembered in the
 * request state so that everything of one request carries the same trace id.
 */
export function traceOf(request: Request): TraceContext {
  const state = requestState(request);
  if (state?.trace) return state.trace;
  const trace = parseTraceparent(request.headers.get("traceparent")) ?? newTraceContext();
  if (state) state.trace = trace;
  return trace;
}

/**
 * The trace id the request brought, or one already made for it; undefined otherwise, without
 * making one (the usage buffer makes it when the row is written, off the request path).
 */
export function knownTraceId(request: Request): string | undefined {
  const state = requestState(request);
  if (state?.trace) return state.trace.traceId;
  const incoming = parseTraceparent(request.headers.get("traceparent"));
  if (incoming && state) state.trace = incoming;
  return incoming?.traceId;
}
