import { describe, expect, test } from "bun:test";
import { evaluateReadiness, informational } from "../../src/modules/health";
import { createMetrics, type MetricsOptions } from "../../src/observability/metrics";
import type { UsageStats } from "../../src/observability/usage-recorder";
import { buildTestApp, expectErrorEnvelope } from "../helpers/app";
import { type Family, parsePrometheusText, sampleValue } from "./prometheus-text";

/** An app with its own metrics, as dependencies.ts wires them. */
function metricsApp(options: { env?: Record<string, string>; metrics?: MetricsOptions } = {}) {
  const metrics = createMetrics(options.metrics);
  const built = buildTestApp({ env: options.env, deps: { metrics, observers: [metrics.observe] } });
  built.app.get("/api/v1/things/:id", ({ params }) => ({ success: true, data: { id: params.id } }));
  const scrape = async (headers: Record<string, string> = {}): Promise<Map<string, Family>> => {
    const response = await built.request("/metrics", { headers });
    expect(response.status).toBe(200);
    return parsePrometheusText(await response.text());
  };
  return { ...built, metrics, scrape };
}

/** Observers run after the response is sent; give them a turn before scraping. */
const settle = () => Bun.sleep(5);

describe("/metrics", () => {
  test("serves every line in valid Prometheus text format with its content type", async () => {
    const { request } = metricsApp();
    await request("/health");
    await settle();
    const response = await request("/metrics");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    expect(response.headers.get("cache-control")).toBe("no-store");
    const families = parsePrometheusText(await response.text());
    expect(families.get("http_requests_total")?.type).toBe("counter");
    expect(families.get("http_request_duration_seconds")?.type).toBe("histogram");
    expect(families.get("rate_limit_rejections_total")?.type).toBe("counter");
    expect(families.get("process_resident_memory_bytes")?.type).toBe("gauge");
  });

  test("counts requests by method, route template and status, and observes their duration", async () => {
    const { request, scrape } = metricsApp();
    const series = { method: "GET", route: "/api/v1/things/:id", status: "200" };
    const before = sampleValue(await scrape(), "http_requests_total", series) ?? 0;
    for (const id of ["a", "b", "c"]) await request(`/api/v1/things/${id}`);
    await request("/api/v1/nowhere");
    await settle();

    const after = await scrape();
    expect(sampleValue(after, "http_requests_total", series)).toBe(before + 3);
    expect(sampleValue(after, "http_requests_total", { method: "GET", route: "unmatched", status: "404" })).toBe(1);
    const timing = { method: "GET", route: "/api/v1/things/:id" };
    expect(sampleValue(after, "http_request_duration_seconds_count", timing)).toBe(3);
    expect(sampleValue(after, "http_request_duration_seconds_bucket", { ...timing, le: "+Inf" })).toBe(3);
    expect(sampleValue(after, "http_request_duration_seconds_sum", timing)).toBeGreaterThan(0);
  });

  test("puts a duration in every bucket at or above it, and keeps sum and count", async () => {
    const { metrics, scrape } = metricsApp();
    const request = new Request("http://localhost/api/v1/things/a");
    const state = { id: "r", startedAt: 0, ip: "127.0.0.1" };
    for (const [durationMs, status] of [
      [5, 200],
      [7, 200],
      [100, 404],
      [20_000, 500],
    ] as const) {
      metrics.observe({
        request,
        state,
        path: "/api/v1/things/a",
        route: "/api/v1/things/:id",
        status,
        bytes: 0,
        durationMs,
      });
    }
    const families = await scrape();
    const timing = { method: "GET", route: "/api/v1/things/:id" };
    const bucket = (le: string) => sampleValue(families, "http_request_duration_seconds_bucket", { ...timing, le });
    expect(bucket("0.005")).toBe(1);
    expect(bucket("0.01")).toBe(2);
    expect(bucket("0.05")).toBe(2);
    expect(bucket("0.1")).toBe(3);
    expect(bucket("10")).toBe(3);
    expect(bucket("+Inf")).toBe(4);
    expect(sampleValue(families, "http_request_duration_seconds_count", timing)).toBe(4);
    expect(sampleValue(families, "http_request_duration_seconds_sum", timing)).toBeCloseTo(20.112, 6);
    expect(sampleValue(families, "http_requests_total", { ...timing, status: "200" })).toBe(2);
    expect(sampleValue(families, "http_requests_total", { ...timing, status: "404" })).toBe(1);
    expect(sampleValue(families, "http_requests_total", { ...timing, status: "500" })).toBe(1);
  });

  test("labels an unknown method as OTHER so clients cannot create series", async () => {
    const { request, scrape } = metricsApp();
    await request("/api/v1/things/a", { method: "PROPFIND" });
    await settle();
    const families = await scrape();
    const methods = new Set(families.get("http_requests_total")?.samples.map((s) => s.labels.method));
    expect(methods.has("PROPFIND")).toBe(false);
    expect(methods.has("OTHER")).toBe(true);
  });

  test("counts rate-limit rejections by policy through metrics.rateLimitRejections", async () => {
    const { metrics, scrape } = metricsApp();
    metrics.rateLimitRejections.inc({ policy: "auth" });
    metrics.rateLimitRejections.inc({ policy: "auth" });
    metrics.rateLimitRejections.inc({ policy: "search" });
    const families = await scrape();
    expect(sampleValue(families, "rate_limit_rejections_total", { policy: "auth" })).toBe(2);
    expect(sampleValue(families, "rate_limit_rejections_total", { policy: "search" })).toBe(1);
  });

  test("reports the rate-limit store fallback as it is when scraped", async () => {
    let store: "redis" | "memory" = "redis";
    const { scrape } = metricsApp({ metrics: { rateLimitStore: () => store } });
    expect(sampleValue(await scrape(), "rate_limit_store_fallback")).toBe(0);
    store = "memory";
    expect(sampleValue(await scrape(), "rate_limit_store_fallback")).toBe(1);
  });

  test("reports a failing readiness check as not ready and names it, evaluating the checks once per scrape", async () => {
    let pings = 0;
    const checks = {
      database: async () => {
        pings += 1;
        throw new Error("connection refused");
      },
      smtp: informational(async () => {}),
      redis: undefined,
    };
    const lifecycle = { shuttingDown: false };
    const { scrape } = metricsApp({ metrics: { readiness: () => evaluateReadiness(checks, lifecycle) } });
    const families = await scrape();
    expect(sampleValue(families, "health_ready")).toBe(0);
    expect(sampleValue(families, "health_check_healthy", { check: "database" })).toBe(0);
    expect(sampleValue(families, "health_check_healthy", { check: "smtp" })).toBe(1);
    expect(sampleValue(families, "health_check_healthy", { check: "redis" })).toBeUndefined();
    expect(pings).toBe(1);
  });

  test("reports the usage buffer, rows written, dropped and failed inserts", async () => {
    const stats: UsageStats = { buffered: 7, written: 1200, dropped: 3, failedInserts: 2 };
    const { scrape } = metricsApp({ metrics: { usage: () => stats } });
    let families = await scrape();
    expect(sampleValue(families, "usage_buffer_rows")).toBe(7);
    expect(sampleValue(families, "usage_rows_written_total")).toBe(1200);
    expect(sampleValue(families, "usage_rows_dropped_total")).toBe(3);
    expect(sampleValue(families, "usage_insert_failures_total")).toBe(2);
    stats.dropped = 5;
    families = await scrape();
    expect(sampleValue(families, "usage_rows_dropped_total")).toBe(5);
  });

  test("keeps each app's counts apart", async () => {
    const first = metricsApp();
    const second = metricsApp();
    await first.request("/api/v1/things/a");
    await settle();
    const series = { method: "GET", route: "/api/v1/things/:id", status: "200" };
    expect(sampleValue(await first.scrape(), "http_requests_total", series)).toBe(1);
    expect(sampleValue(await second.scrape(), "http_requests_total", series)).toBeUndefined();
  });

  test("is not served under /api/v1", async () => {
    const { request } = metricsApp();
    await expectErrorEnvelope(await request("/api/v1/metrics"), 404, "NotFound");
  });
});

describe("/metrics with METRICS_TOKEN", () => {
  const token = "scrape-token-0123456789";
  const env = { METRICS_TOKEN: token };

  test("refuses a scrape without the token with the 401 envelope", async () => {
    const { request } = metricsApp({ env });
    const response = await request("/metrics");
    const body = await expectErrorEnvelope(response, 401, "Unauthorized");
    expect(body.message).toBe("A valid metrics token is required");
    expect(response.headers.get("www-authenticate")).toBe('Bearer realm="metrics"');
  });

  test("refuses a wrong token with 401", async () => {
    const { request } = metricsApp({ env });
    for (const authorization of [`Bearer ${token}x`, "Bearer nope", `Basic ${token}`, token]) {
      await expectErrorEnvelope(await request("/metrics", { headers: { authorization } }), 401, "Unauthorized");
    }
  });

  test("serves the metrics for the right bearer token", async () => {
    const { scrape } = metricsApp({ env });
    const families = await scrape({ authorization: `Bearer ${token}` });
    expect(families.has("http_requests_total")).toBe(true);
  });
});

describe("the Prometheus text parser used here", () => {
  test.each([
    ["a sample of an undeclared family", "x 1\n"],
    ["a malformed label", "# TYPE x counter\nx{a=b} 1\n"],
    ["a bad value", "# TYPE x gauge\nx one\n"],
    ["a duplicate series", '# TYPE x gauge\nx{a="1"} 1\nx{a="1"} 2\n'],
    [
      "a histogram whose +Inf bucket is not its count",
      '# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 3\n',
    ],
    ["a missing final newline", "# TYPE x gauge\nx 1"],
  ])("rejects %s", (_, text) => {
    expect(() => parsePrometheusText(text)).toThrow();
  });
});
