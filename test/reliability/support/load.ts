/** One kind of request the load sends, chosen round-robin. */
export interface Target {
  path: string;
  method?: string;
  headers?: Record<string, string>;
  /** Sent as JSON. */
  body?: unknown;
}

export interface LoadOptions {
  base: string;
  /** Requests started per second, paced evenly (not a closed loop that slows with the server). */
  rate: number;
  targets: Target[];
  /** Sent on every request, so the access log lines of this load can be counted. */
  userAgent: string;
  /** Gives up on one request after this long; it counts as an error of kind "timeout". */
  requestTimeoutMs?: number;
}

export type ErrorKind = "refused" | "reset" | "timeout" | "other";

export interface Outcome {
  path: string;
  /** ms since the load started. */
  sentAt: number;
  doneAt: number;
  status?: number;
  error?: ErrorKind;
  message?: string;
  retryAfter?: string | null;
}

export interface LoadReport {
  sent: number;
  /** Responses that arrived, by status. */
  statuses: Record<number, number>;
  responses: number;
  /** Responses to /api/v1 paths. */
  apiResponses: number;
  errors: Record<ErrorKind, number>;
  /** First error of each kind, for the report. */
  errorSamples: Partial<Record<ErrorKind, string>>;
  p50Ms: number;
  p99Ms: number;
  outcomes: Outcome[];
}

export interface Load {
  /** ms since the load started. */
  elapsed(): number;
  /** Stops sending, waits for the requests under way, and tallies. */
  stop(): Promise<LoadReport>;
}

/** A steady open-loop load: `rate` requests a second whatever the answers, until stop(). */
export function startLoad(options: LoadOptions): Load {
  const started = performance.now();
  const elapsed = () => performance.now() - started;
  const pending = new Set<Promise<void>>();
  const outcomes: Outcome[] = [];
  let sent = 0;
  let running = true;

  const send = (target: Target) => {
    const outcome: Outcome = { path: target.path, sentAt: elapsed(), doneAt: 0 };
    outcomes.push(outcome);
    const json: Record<string, string> = target.body === undefined ? {} : { "content-type": "application/json" };
    const request = fetch(`${options.base}${target.path}`, {
      method: target.method ?? "GET",
      headers: { "user-agent": options.userAgent, ...json, ...target.headers },
      body: target.body === undefined ? undefined : JSON.stringify(target.body),
      signal: AbortSignal.timeout(options.requestTimeoutMs ?? 10_000),
    })
      .then(async (response) => {
        outcome.status = response.status;
        outcome.retryAfter = response.headers.get("retry-after");
        await response.arrayBuffer();
      })
      .catch((error: unknown) => {
        outcome.error = kindOf(error);
        outcome.message = error instanceof Error ? error.message : String(error);
      })
      .finally(() => {
        outcome.doneAt = elapsed();
        pending.delete(request);
      });
    pending.add(request);
  };

  const pace = async () => {
    while (running) {
      const due = Math.floor((elapsed() / 1000) * options.rate);
      while (sent < due) send(options.targets[sent++ % options.targets.length] as Target);
      await Bun.sleep(2);
    }
  };
  const pacing = pace();

  return {
    elapsed,
    async stop() {
      running = false;
      await pacing;
      await Promise.all([...pending]);
      return tally(outcomes, sent);
    },
  };
}

function tally(outcomes: Outcome[], sent: number): LoadReport {
  const statuses: Record<number, number> = {};
  const errors: Record<ErrorKind, number> = { refused: 0, reset: 0, timeout: 0, other: 0 };
  const errorSamples: LoadReport["errorSamples"] = {};
  const durations: number[] = [];
  let apiResponses = 0;
  for (const outcome of outcomes) {
    if (outcome.status !== undefined) {
      statuses[outcome.status] = (statuses[outcome.status] ?? 0) + 1;
      if (outcome.path.startsWith("/api/v1/")) apiResponses++;
      durations.push(outcome.doneAt - outcome.sentAt);
    } else if (outcome.error) {
      errors[outcome.error]++;
      errorSamples[outcome.error] ??= outcome.message;
    }
  }
  durations.sort((a, b) => a - b);
  const at = (p: number) => durations[Math.min(durations.length - 1, Math.floor((p / 100) * durations.length))] ?? 0;
  const responses = durations.length;
  return { sent, statuses, responses, apiResponses, errors, errorSamples, p50Ms: at(50), p99Ms: at(99), outcomes };
}

function kindOf(error: unknown): ErrorKind {
  const code = (error as { code?: string } | undefined)?.code;
  const name = (error as { name?: string } | undefined)?.name;
  if (code === "ECONNREFUSED" || code === "ConnectionRefused") return "refused";
  if (name === "TimeoutError" || name === "AbortError") return "timeout";
  if (code === "ECONNRESET" || code === "ConnectionClosed") return "reset";
  return "other";
}

/** Counts of 5xx responses in a report. */
export function serverErrors(report: LoadReport): number {
  return Object.entries(report.statuses)
    .filter(([status]) => Number(status) >= 500)
    .reduce((sum, [, count]) => sum + count, 0);
}
