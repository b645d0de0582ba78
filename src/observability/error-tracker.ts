import type * as SentryModule from "@sentry/bun";
import type { Config } from "../config";
import { requestState } from "../http/request-state";
import { traceOf } from "../http/trace";
import type { Logger } from "./logger";
import { filtered, isSensitiveKey, scrubEvent, scrubUrl } from "./scrub";

/** Where 5xx errors go besides the log: Sentry when SENTRY_DSN is set, nowhere otherwise. */
export interface ErrorTracker {
  /** AppDeps.onServerError: called once per 5xx by the error handler; anything below 500 is ignored. */
  capture(error: unknown, request: Request, status: number): void;
  /** Sends what is queued; false when the timeout passed first. */
  flush(timeoutMs?: number): Promise<boolean>;
  /** Flushes, then stops the client (shutdown). */
  close(timeoutMs?: number): Promise<boolean>;
}

// Client IPs are personal data and sendDefaultPii is off: these never leave with an event.
const droppedHeaders = new Set(["x-forwarded-for", "x-real-ip", "forwarded", "cf-connecting-ip"]);

/**
 * Sentry is process-global (Sentry.init binds one client to the global scope), so server.ts builds
 * one tracker per process; a test file builds one with its own DSN. No default integrations: no
 * HTTP or fetch instrumentation, no global uncaught-exception handlers, no console capture; the
 * error handler's hook is the only way in. linkedErrors keeps an error's `cause` chain.
 */
export function createErrorTracker(
  config: Pick<Config, "sentryDsn" | "release" | "env">,
  logger: Logger,
): ErrorTracker {
  if (!config.sentryDsn) return disabledTracker;
  // Loaded only when configured: importing @sentry/bun alone adds ~34 MB of RSS (Bun 1.4.5,
  // measured for issue 9), which a process without SENTRY_DSN should not carry.
  const Sentry = require("@sentry/bun") as typeof SentryModule;
  const client = Sentry.init({
    dsn: config.sentryDsn,
    release: config.release,
    environment: config.env,
    sendDefaultPii: false,
    defaultIntegrations: false,
    integrations: [Sentry.linkedErrorsIntegration()],
    sendClientReports: false,
    // Module patching would change how dependencies run; this tracker only sends error events.
    enableRuntimeChannelInjection: false,
    beforeSend: (event) => scrubEvent(event),
  } as SentryModule.BunOptions);
  if (!client) {
    logger.warn("SENTRY_DSN is set but Sentry could not start in this thread; errors are only logged");
    return disabledTracker;
  }
  logger.info("error tracking: sending 5xx errors to Sentry", { environment: config.env, release: config.release });

  const settle = async (work: PromiseLike<boolean>, what: string) => {
    const delivered = await work;
    if (!delivered) logger.warn(`error tracking: ${what} timed out; some events may not have been sent`);
    return delivered;
  };

  return {
    capture(error, request, status) {
      if (status < 500) return;
      const hint = { originalException: error, mechanism: { type: "elysia.onError", handled: false } };
      client.captureException(error, hint, scopeFor(Sentry, request, status));
    },
    flush: (timeoutMs = 2000) => settle(client.flush(timeoutMs), "flush"),
    close: (timeoutMs = 2000) => settle(client.close(timeoutMs), "close"),
  };
}

const disabledTracker: ErrorTracker = {
  capture() {},
  flush: async () => true,
  close: async () => true,
};

/** Tags to search by, the caller's ids (never an email), and the request without credentials or body. */
function scopeFor(Sentry: typeof SentryModule, request: Request, status: number): SentryModule.Scope {
  const state = requestState(request);
  const principal = state?.principal;
  const url = new URL(request.url);
  const scope = new Sentry.Scope();
  scope.setLevel("error");
  // The event joins the caller's trace in Sentry (contexts.trace) and is searchable by trace_id.
  const trace = traceOf(request);
  scope.setPropagationContext({
    traceId: trace.traceId,
    parentSpanId: trace.parentId ?? undefined,
    sampled: trace.flags === "01",
    sampleRand: Math.random(),
  });
  scope.setTags({
    request_id: state?.id,
    trace_id: trace.traceId,
    route: state?.route ?? "unmatched",
    method: request.method,
    status_code: String(status),
    organization_id: principal?.organizationId,
    principal_kind: principal?.kind,
    api_key_id: principal?.apiKeyId ?? undefined,
  });
  if (principal) scope.setUser({ id: principal.userId ?? principal.id });
  const headers: Record<string, string> = {};
  request.headers.forEach((value, key) => {
    if (!droppedHeaders.has(key)) headers[key] = isSensitiveKey(key) ? filtered : value;
  });
  scope.addEventProcessor((event) => {
    event.request = { method: request.method, url: scrubUrl(`${url.origin}${url.pathname}${url.search}`), headers };
    return event;
  });
  return scope;
}
