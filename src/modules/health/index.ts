import { Elysia, t } from "elysia";
import { timestampSchema } from "../../http/schemas";
import { withTimeout } from "../../lib/timeout";

export type CheckResult = "healthy" | "unhealthy" | "disabled";

/** A dependency check; `undefined` means the dependency is not configured. */
export type ReadinessCheck = ((() => Promise<unknown>) & { informational?: boolean }) | undefined;

/**
 * Marks a check as reported but not gating readiness: an SMTP relay outage should not take every
 * pod out of the load balancer while the outbox simply holds the emails.
 */
export function informational(check: () => Promise<unknown>): ReadinessCheck {
  return Object.assign(check, { informational: true });
}

export interface Lifecycle {
  shuttingDown: boolean;
}

const checkTimeoutMs = 800;

const closed = { additionalProperties: false } as const;
const liveness = t.Object(
  {
    success: t.Literal(true),
    status: t.Literal("healthy"),
    timestamp: timestampSchema,
    uptime: t.Number({ minimum: 0, description: "Seconds since the process started" }),
    memory: t.Object({ rss: t.Integer(), heapTotal: t.Integer(), heapUsed: t.Integer() }, closed),
  },
  closed,
);
const readiness = t.Object(
  {
    success: t.Boolean(),
    status: t.UnionEnum(["ready", "not_ready", "shutting_down"]),
    timestamp: timestampSchema,
    checks: t.Record(t.String(), t.UnionEnum(["healthy", "unhealthy", "disabled"])),
  },
  { ...closed, $id: "Readiness" },
);
const noStore = { "cache-control": "no-store" };

/** Liveness says the process runs; readiness says it can serve (dependencies, not draining). */
export function healthRoutes(checks: Record<string, ReadinessCheck>, lifecycle: Lifecycle) {
  return new Elysia({ name: "health" })
    .get(
      "/health",
      ({ set }) => {
        Object.assign(set.headers, noStore);
        const memory = process.memoryUsage();
        return {
          success: true,
          status: "healthy",
          timestamp: new Date().toISOString(),
          uptime: process.uptime(),
          memory: { rss: memory.rss, heapTotal: memory.heapTotal, heapUsed: memory.heapUsed },
        };
      },
      {
        response: { 200: liveness },
        detail: {
          tags: ["health"],
          summary: "Liveness: the process is up",
          description: "Public, never rate limited; checks nothing outside the process.",
        },
      },
    )
    .get(
      "/health/ready",
      async ({ set }) => {
        Object.assign(set.headers, noStore);
        const { ready, status, checks: entries } = await evaluateReadiness(checks, lifecycle);
        if (!ready) set.status = 503;
        return { success: ready, status, timestamp: new Date().toISOString(), checks: entries };
      },
      {
        // 503 is the same shape with success false: a dependency is unhealthy or the server drains.
        response: { 200: readiness, 503: readiness },
        detail: {
          tags: ["health"],
          summary: "Readiness: dependencies answer and the server is not draining",
          description: "Public, never rate limited; 503 with the same body while not ready.",
        },
      },
    );
}

export interface Readiness {
  ready: boolean;
  status: "ready" | "not_ready" | "shutting_down";
  checks: Record<string, CheckResult>;
}

/** What /health/ready answers; /metrics reads it too (health_ready), so both always agree. */
export async function evaluateReadiness(
  checks: Record<string, ReadinessCheck>,
  lifecycle: Lifecycle,
): Promise<Readiness> {
  const names = Object.keys(checks);
  const results = await Promise.all(names.map((name) => runCheck(checks[name])));
  const entries = Object.fromEntries(names.map((name, i) => [name, results[i] as CheckResult]));
  const unhealthy = names.some((name, i) => results[i] === "unhealthy" && !checks[name]?.informational);
  const ready = !unhealthy && !lifecycle.shuttingDown;
  return { ready, status: lifecycle.shuttingDown ? "shutting_down" : ready ? "ready" : "not_ready", checks: entries };
}

async function runCheck(check: ReadinessCheck): Promise<CheckResult> {
  if (!check) return "disabled";
  try {
    await withTimeout(check(), checkTimeoutMs);
    return "healthy";
  } catch {
    return "unhealthy";
  }
}
