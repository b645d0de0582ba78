/** What the orchestrator asks the load generator (bench/load.ts, its own process) to do, as JSON. */
export interface LoadSpec {
  title: string;
  /** Origin of the server under test, e.g. http://127.0.0.1:4100. */
  url: string;
  connections: number;
  durationSeconds: number;
  /** Load before the measured run, same requests, results discarded. 0 for none. */
  warmupSeconds: number;
  /** Each connection cycles through these in order. */
  requests: RequestSpec[];
  /** Makes `{n}` in bodies unique across runs (a warm-up and its run, or two bench runs). */
  uniqueTag: string;
}

export interface RequestSpec {
  method: "GET" | "POST";
  path: string;
  headers?: Record<string, string>;
  /** Sent as is, except that every `{n}` becomes a value no other request of any run has. */
  body?: string;
}

/** The numbers one measured run produced. Latencies in milliseconds. */
export interface LoadResult {
  title: string;
  requestsPerSec: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  latencyAvgMs: number;
  latencyMaxMs: number;
  total: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  durationSeconds: number;
  /**
   * The generator's own CPU over the measured run, in % of one core: near 100 it is the ceiling,
   * not the server.
   */
  generatorCpuPercent?: number;
}

/**
 * The generator prints progress on stderr. On stdout: this marker when the measured run starts
 * (after the warm-up), and last, the result after its own marker.
 */
export const measuringMarker = "LOAD_MEASURING";
export const resultMarker = "LOAD_RESULT ";
