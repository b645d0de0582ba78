import { Counter, collectDefaultMetrics, Gauge, Registry } from "prom-client";
import { type CircuitBreaker, circuitStateValue } from "../lib/circuit-breaker";
import type { ResponseObserver } from "./access-log";
import { createRequestMetrics } from "./request-metrics";
import type { UsageStats } from "./usage-recorder";

/** What /metrics reports besides HTTP traffic; each is read when Prometheus scrapes. */
export interface MetricSources {
  /** The rate limiter's store: limiter.storeState() ("redis" or "memory"). */
  rateLimitStore?: () => "redis" | "memory";
  /** The usage recorder's counts: recorder.stats(). */
  usage?: () => UsageStats;
  /** What /health/ready would answer: evaluateReadiness(checks, lifecycle). */
  readiness?: () => Promise<{ ready: boolean; checks: Record<string, "healthy" | "unhealthy" | "disabled"> }>;
  /** The circuit breakers of the database, the AI provider and SMTP, those that exist. */
  circuits?: CircuitBreaker[];
}

export interface MetricsOptions extends MetricSources {
  /** Process metrics (CPU, memory, event loop, GC); default true. */
  processMetrics?: boolean;
}

/**
 * The app's Prometheus metrics, in a registry of its own (not prom-client's global one), so that
 * every app built in a process (tests build many) counts only its own traffic.
 */
export interface Metrics {
  registry: Registry;
  /** The response observer that counts requests and their durations. */
  observe: ResponseObserver;
  /** For the rate-limit macro: `metrics.rateLimitRejections.inc({ policy })` on every 429. */
  rateLimitRejections: Counter<"policy">;
  /** Requests answered 503 by the request deadline (REQUEST_TIMEOUT_S), by route template. */
  requestTimeouts: Counter<"route">;
  /** /api/v1 requests answered 503 at once because MAX_IN_FLIGHT requests were being handled. */
  requestsShed: Counter;
  /** Requests refused 503 because the password hashing queue was full or its wait ran out. */
  passwordHashRefusals: Counter;
  /** Where http_requests_in_flight reads from: the app's in-flight tracker, once it exists. */
  readInFlight(read: () => number): void;
  /** Where the page_cache_* series read from: the prospects page cache, once it exists. */
  readPageCache(read: () => PageCacheReadings): void;
}

/** What the prospects page cache reports (its stats()): reads by outcome since the start, and what it keeps. */
export interface PageCacheReadings {
  /** Served from the cache. */
  hits: number;
  /** Read from the database and kept (a concurrent miss that shared the read counts too). */
  misses: number;
  /** Read from the database because the client sent Cache-Control: no-cache. */
  fresh: number;
  /** Read from the database with no generation known (no Redis, Redis down or slow, none yet). */
  uncached: number;
  pages: number;
  /** JSON characters of the pages kept. */
  chars: number;
}

// Route templates and known methods only: a client must not be able to create new series.
const knownMethods = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });

  const requests = createRequestMetrics(registry, [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);
  const rateLimitRejections = new Counter({
    name: "rate_limit_rejections_total",
    help: "Requests refused with 429, by rate-limit policy",
    labelNames: ["policy"] as const,
    registers: [registry],
  });
  const requestTimeouts = new Counter({
    name: "http_request_timeouts_total",
    help: "Requests answered 503 because they were not finished within REQUEST_TIMEOUT_S, by route template",
    labelNames: ["route"] as const,
    registers: [registry],
  });
  const requestsShed = new Counter({
    name: "http_requests_shed_total",
    help: "/api/v1 requests answered 503 at once because MAX_IN_FLIGHT requests were being handled",
    registers: [registry],
  });
  const passwordHashRefusals = new Counter({
    name: "password_hash_refusals_total",
    help: "Logins and password changes answered 503 because PASSWORD_HASH_QUEUE_MAX hashes waited or one waited PASSWORD_HASH_WAIT_MS",
    registers: [registry],
  });
  let inFlight = () => 0;
  new Gauge({
    name: "http_requests_in_flight",
    help: "Requests being handled now (the ones past their deadline included, until their handler ends)",
    registers: [registry],
    collect() {
      this.set(inFlight());
    },
  });
  registerSources(registry, options);
  let pageCache: () => PageCacheReadings = () => ({ hits: 0, misses: 0, fresh: 0, uncached: 0, pages: 0, chars: 0 });
  new Counter({
    name: "page_cache_reads_total",
    help:
      "Prospects pages by how they were answered: hit (kept page), miss (read and kept), fresh (Cache-Control: no-cache), " +
      "uncached (no write generation known: no Redis, Redis down or slow)",
    labelNames: ["result"] as const,
    registers: [registry],
    // A mirror of the cache's own totals: reset, then set at each scrape.
    collect() {
      const now = pageCache();
      this.reset();
      this.inc({ result: "hit" }, now.hits);
      this.inc({ result: "miss" }, now.misses);
      this.inc({ result: "fresh" }, now.fresh);
      this.inc({ result: "uncached" }, now.uncached);
    },
  });
  new Gauge({
    name: "page_cache_pages",
    help: "Prospects pages kept by this instance",
    registers: [registry],
    collect() {
      this.set(pageCache().pages);
    },
  });
  new Gauge({
    name: "page_cache_json_chars",
    help: "JSON characters of the prospects pages kept by this instance (bounded at 8,000,000)",
    registers: [registry],
    collect() {
      this.set(pageCache().chars);
    },
  });

  return {
    registry,
    rateLimitRejections,
    requestTimeouts,
    requestsShed,
    passwordHashRefusals,
    readInFlight(read) {
      inFlight = read;
    },
    readPageCache(read) {
      pageCache = read;
    },
    observe(record) {
      const method = knownMethods.has(record.request.method) ? record.request.method : "OTHER";
      requests.observe(method, record.route ?? "unmatched", record.status, record.durationMs / 1000);
    },
  };
}

function registerSources(registry: Registry, sources: MetricSources): void {
  const { rateLimitStore, usage, readiness, circuits } = sources;
  if (readiness) registerReadiness(registry, readiness);
  if (circuits && circuits.length > 0) {
    new Gauge({
      name: "circuit_breaker_state",
      help: "State of a dependency's circuit breaker: 0 closed, 1 open (requests refused at once), 2 half-open (probing)",
      labelNames: ["dependency"] as const,
      registers: [registry],
      collect() {
        for (const circuit of circuits) this.set({ dependency: circuit.name }, circuitStateValue[circuit.state()]);
      },
    });
  }
  if (rateLimitStore) {
    new Gauge({
      name: "rate_limit_store_fallback",
      help: "1 while rate limits are counted in process memory (no Redis, or Redis unreachable), 0 while in Redis",
      registers: [registry],
      collect() {
        this.set(rateLimitStore() === "memory" ? 1 : 0);
      },
    });
  }
  if (usage) {
    new Gauge({
      name: "usage_buffer_rows",
      help: "api_usage rows waiting to be written",
      registers: [registry],
      collect() {
        this.set(usage().buffered);
      },
    });
    // Counters that mirror the recorder's own totals: reset, then set to the total at each scrape.
    const mirror = (name: string, help: string, read: (stats: UsageStats) => number) =>
      new Counter({
        name,
        help,
        registers: [registry],
        collect() {
          this.reset();
          this.inc(read(usage()));
        },
      });
    mirror("usage_rows_written_total", "api_usage rows written", (s) => s.written);
    mirror("usage_rows_dropped_total", "api_usage rows dropped because the buffer was full", (s) => s.dropped);
    mirror("usage_insert_failures_total", "api_usage inserts that failed and were retried", (s) => s.failedInserts);
  }
}

/**
 * health_ready and health_check_healthy, evaluated at each scrape so that an alert needs no
 * probe of /health/ready (systemd and PM2 deployments have none). The checks are cheap (a ping
 * each, SMTP's remembered for 30 s) and bounded by the health module's deadline; one evaluation
 * serves both gauges, whichever of them prom-client collects first.
 */
function registerReadiness(registry: Registry, readiness: NonNullable<MetricSources["readiness"]>): void {
  let current: ReturnType<typeof readiness> | undefined;
  const evaluate = () => {
    current ??= readiness().finally(() => {
      current = undefined;
    });
    return current;
  };
  new Gauge({
    name: "health_ready",
    help: "1 while GET /health/ready would answer 200 (dependencies answer, not shutting down), 0 otherwise",
    registers: [registry],
    async collect() {
      this.set((await evaluate()).ready ? 1 : 0);
    },
  });
  new Gauge({
    name: "health_check_healthy",
    help: "1 while a readiness check passes, 0 while it fails; checks not configured are absent",
    labelNames: ["check"] as const,
    registers: [registry],
    async collect() {
      const { checks } = await evaluate();
      this.reset();
      for (const [check, result] of Object.entries(checks)) {
        if (result !== "disabled") this.set({ check }, result === "healthy" ? 1 : 0);
      }
    },
  });
}
