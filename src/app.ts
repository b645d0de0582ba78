import { Elysia } from "elysia";
import type { Config } from "./config";
import type { Database } from "./db/database";
import { createAllowedMethods, createRouteMatcher } from "./http/allowed-methods";
import { mapDatabaseError } from "./http/database-errors";
import { type ErrorMapper, errorHandler } from "./http/error-handler";
import { createInFlight } from "./http/in-flight";
import { createLimitCounter, rateLimitWindows } from "./http/rate-limit";
import { requestContext } from "./http/request-context";
import { responseFinisher } from "./http/response-finisher";
import { registerStringFormats } from "./http/string-formats";
import type { Mailer } from "./mail/transport";
import type { AiProvider } from "./modules/ai/provider";
import { apiRoutes } from "./modules/api";
import type { KeyUseTracker } from "./modules/api-keys/last-used";
import type { PasswordWork } from "./modules/auth/hash-workers";
import type { RevocationBus } from "./modules/auth/revocation-bus";
import { docsRoutes } from "./modules/docs";
import { healthRoutes, type Lifecycle, type ReadinessCheck } from "./modules/health";
import type { WriteGenerations } from "./modules/organizations/write-generations";
import { createResponseDispatch, type ResponseObserver } from "./observability/access-log";
import type { Logger } from "./observability/logger";
import type { Metrics } from "./observability/metrics";
import { metricsRoute } from "./observability/metrics-route";
import type { RateLimiter } from "./ratelimit/limiter";

/** Everything the app talks to, built once by server.ts (or by a test, on other parts). */
export interface AppDeps {
  config: Config;
  logger: Logger;
  lifecycle: Lifecycle;
  db: Database;
  /** Revocations of sessions, users and keys, shared across instances through Redis when configured. */
  bus: RevocationBus;
  /** Organizations' write generations in Redis; without them no page of a list is cached. */
  generations?: WriteGenerations;
  keyUse?: KeyUseTracker;
  readiness?: Record<string, ReadinessCheck>;
  observers?: ResponseObserver[];
  /** Mappers of other dependencies' errors; the database's (src/http/database-errors.ts) always applies. */
  errorMappers?: ErrorMapper[];
  onServerError?: (error: unknown, request: Request, status: number) => void;
  /** Counts /api/v1 requests; without one (tests not about limits) nothing is limited. */
  limiter?: RateLimiter;
  /** The outbound transport (SMTP_URL); the email worker and the `smtp` readiness check use it. */
  mailer?: Mailer;
  /** Where argon2id runs: server.ts passes low-priority worker threads; without, Bun's own pool. */
  passwordWork?: PasswordWork;
  /** The chat model behind /ai; by default the OpenAI-compatible endpoint of AI_BASE_URL. */
  ai?: AiProvider;
  /**
   * Prometheus metrics served at /metrics (no route without). Its `observe` must be among
   * `observers`; the rate-limit macro counts 429s with `metrics.rateLimitRejections.inc({ policy })`.
   */
  metrics?: Metrics;
}

/**
 * Composes the API. Order matters in Elysia: global hooks apply to routes registered after them,
 * so the cross-cutting plugins come first, then the routes. No I/O happens here.
 */
export function createApp(deps: AppDeps) {
  const { config } = deps;
  registerStringFormats();
  // Elysia finds the path at the first "/" after index 11 unless told otherwise, which puts a
  // short Host's path on another route (Host "a": /zz/metrics → /metrics). Index 7 is right for
  // every "http://<host>/…"; the request context refuses any other request.url with a 400.
  const app = new Elysia({ normalize: true, handler: { standardHostname: false } });
  const allowedMethods = createAllowedMethods(() => app.routes);
  const metrics = deps.metrics;
  const inFlight = createInFlight({
    config,
    logger: deps.logger,
    observers: deps.observers ?? [],
    dispatch: createResponseDispatch(deps.observers ?? []),
    windows: rateLimitWindows(config),
    routeOf: createRouteMatcher(() => app.routes),
    onShed: metrics && (() => metrics.requestsShed.inc()),
    onTimeout: metrics && ((route) => metrics.requestTimeouts.inc({ route })),
  });
  metrics?.readInFlight(inFlight.running);
  const onRefused = (policy: string) => metrics?.rateLimitRejections.inc({ policy });
  const countUnlimited = createLimitCounter(deps.limiter, config, { onRefused });

  return app
    .use(inFlight.plugin)
    .use(requestContext(config, () => app.server))
    .use(responseFinisher(config))
    .use(
      errorHandler({
        config,
        logger: deps.logger,
        allowedMethods,
        // The database layer's typed errors are the HTTP layer's to word, whatever else is mapped.
        mappers: [mapDatabaseError, ...(deps.errorMappers ?? [])],
        onServerError: deps.onServerError,
        countUnlimited: (request, headers) => countUnlimited(request, headers, "general"),
      }),
    )
    .use(healthRoutes(deps.readiness ?? {}, deps.lifecycle))
    .use(metricsRoute(deps.metrics, config.metricsToken))
    .use(docsRoutes(config))
    .use(apiRoutes(deps));
}

export type App = ReturnType<typeof createApp>;
