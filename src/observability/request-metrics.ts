import type { Metric, Registry } from "prom-client";

interface Series {
  labels: { method: string; route: string };
  statuses: Map<number, number>;
  /** Per bucket (not cumulative; summed when scraped), the last one is +Inf. */
  buckets: number[];
  sum: number;
  count: number;
}

/** A sample as prom-client's registry formats it (what its own metrics return from get()). */
interface Sample {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

/**
 * http_requests_total and http_request_duration_seconds, counted in plain Maps and turned into
 * samples only when Prometheus scrapes. prom-client's Counter and Histogram hash a labels object
 * on every call (~3 µs a request in the server, measured); here a request costs two Map lookups.
 * The two metrics are registered on prom-client's registry, which formats them like its own.
 */
export function createRequestMetrics(registry: Registry, bounds: readonly number[]) {
  const series = new Map<string, Map<string, Series>>();

  const lookup = (method: string, route: string): Series => {
    let byMethod = series.get(route);
    if (!byMethod) {
      byMethod = new Map();
      series.set(route, byMethod);
    }
    let entry = byMethod.get(method);
    if (!entry) {
      entry = {
        labels: { method, route },
        statuses: new Map(),
        buckets: new Array<number>(bounds.length + 1).fill(0),
        sum: 0,
        count: 0,
      };
      byMethod.set(method, entry);
    }
    return entry;
  };

  const all = function* () {
    for (const byMethod of series.values()) yield* byMethod.values();
  };

  registry.registerMetric(
    metric("http_requests_total", "HTTP responses sent, by method, route template and status", "counter", () => {
      const values: Sample[] = [];
      for (const entry of all()) {
        for (const [status, value] of entry.statuses)
          values.push({ labels: { ...entry.labels, status: String(status) }, value });
      }
      return values;
    }),
  );
  registry.registerMetric(
    metric(
      "http_request_duration_seconds",
      "Time from request to response sent, by method and route template",
      "histogram",
      () => {
        const values: Sample[] = [];
        for (const entry of all()) {
          let cumulative = 0;
          entry.buckets.forEach((n, i) => {
            cumulative += n;
            const le = i < bounds.length ? (bounds[i] as number) : "+Inf";
            values.push({
              labels: { le, ...entry.labels },
              value: cumulative,
              metricName: "http_request_duration_seconds_bucket",
            });
          });
          values.push({ labels: entry.labels, value: entry.sum, metricName: "http_request_duration_seconds_sum" });
          values.push({ labels: entry.labels, value: entry.count, metricName: "http_request_duration_seconds_count" });
        }
        return values;
      },
    ),
  );

  return {
    observe(method: string, route: string, status: number, seconds: number): void {
      const entry = lookup(method, route);
      entry.statuses.set(status, (entry.statuses.get(status) ?? 0) + 1);
      let i = 0;
      while (i < bounds.length && seconds > (bounds[i] as number)) i++;
      entry.buckets[i] = (entry.buckets[i] as number) + 1;
      entry.sum += seconds;
      entry.count += 1;
    },
  };
}

/**
 * What prom-client's Registry reads of a metric (name, help, type, aggregator, get, reset); its
 * types name only its own classes, hence the cast. test/observability/metrics.test.ts parses the
 * text it produces.
 */
function metric(name: string, help: string, type: "counter" | "histogram", values: () => Sample[]): Metric {
  const get = async () => ({ name, help, type, aggregator: "sum", values: values() });
  return { name, help, type, aggregator: "sum", get, reset() {} } as unknown as Metric;
}
