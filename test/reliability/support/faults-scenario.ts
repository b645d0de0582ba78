import { SQL } from "bun";
import { createTestDatabase } from "../../helpers/database";
import { startFaultProxy } from "../../helpers/fault-proxy";
import { seedOrganization } from "../../helpers/fixtures";
import { loginOver, within } from "./client";
import { type LoadReport, type Outcome, startLoad } from "./load";
import { exitWithin, productionEnv, spawnServer } from "./server";

export type Phase = "baseline" | "redisDown" | "bothDown" | "recovering" | "recovered";

export interface FaultsScenarioOptions {
  rate: number;
  /** How long each phase lasts under load. */
  phaseMs: number;
  redisPort?: number;
}

/** A status as a client saw it during a fault, with the Retry-After it carried. */
export interface Probe {
  status: number;
  retryAfter: string | null;
  body: Record<string, unknown>;
}

export interface FaultsScenarioResult {
  load: LoadReport;
  /**
   * Load outcomes by the phase they were sent in: recovering runs from the restore until readiness
   * says ready, recovered from then on.
   */
  phases: Record<Phase, Outcome[]>;
  /** One request of each kind while both were down. */
  duringOutage: { health: Probe; cachedMe: Probe; freshProspects: Probe; cachedProspects: Probe; ready: Probe };
  /** Readiness while only Redis was down. */
  redisDownReady: Probe;
  /** ms from the Postgres cut until readiness reported the database unhealthy. */
  readinessNoticedMs?: number;
  /** ms from restoring both until readiness said ready again (no restart). */
  recoveredMs?: number;
  afterRecovery: { ready: Probe; freshProspects: Probe };
  exitCode: number | undefined;
  usageRows: number;
  apiResponses: number;
}

const userAgent = "reliability-faults-load";

/**
 * A server process whose Postgres and Redis are behind fault proxies, under a steady load: Redis is
 * partitioned (blackhole), then Postgres refuses connections too, then both come back. Returns what clients saw in each phase and the
 * api_usage rows found after a clean exit.
 */
export async function runFaultsScenario(options: FaultsScenarioOptions): Promise<FaultsScenarioResult> {
  const database = await createTestDatabase("postgres");
  const org = await seedOrganization(database.db, "Faults Co");
  const target = new URL(database.url);
  const pgProxy = await startFaultProxy(target.hostname, Number(target.port || 5432));
  const redisProxy = await startFaultProxy("127.0.0.1", options.redisPort ?? 6379);
  const viaProxy = new URL(database.url);
  viaProxy.port = String(pgProxy.port);
  const server = await spawnServer({
    ...productionEnv,
    DATABASE_URL: viaProxy.toString(),
    REDIS_URL: `redis://127.0.0.1:${redisProxy.port}`,
    RATE_LIMIT_PREFIX: `reliability:${Bun.randomUUIDv7().slice(-12)}:`,
    SHUTDOWN_DELAY_MS: "0",
    USAGE_FLUSH_INTERVAL_MS: "200",
  });
  let apiCalls = 0;
  const probe = async (path: string, token?: string): Promise<Probe> => {
    const response = await fetch(`${server.base}${path}`, {
      headers: { "user-agent": userAgent, ...(token ? { authorization: `Bearer ${token}` } : {}) },
    });
    if (path.startsWith("/api/v1/")) apiCalls++;
    const body = (await response.json()) as Record<string, unknown>;
    return { status: response.status, retryAfter: response.headers.get("retry-after"), body };
  };
  const readyWith = (check: (probe: Probe) => boolean) => async () => check(await probe("/health/ready"));
  const checks = (p: Probe) => p.body.checks as Record<string, string>;

  try {
    const cached = await loginOver(server.base, org.user.email, org.user.password, userAgent);
    const fresh = await loginOver(server.base, org.viewer.email, org.viewer.password, userAgent);
    apiCalls += 2;
    await probe("/api/v1/me", cached);
    const authorization = `Bearer ${cached}`;
    const load = startLoad({
      base: server.base,
      rate: options.rate,
      userAgent,
      targets: [
        { path: "/api/v1/me", headers: { authorization } },
        { path: "/api/v1/prospects?limit=5", headers: { authorization } },
        { path: "/health" },
      ],
    });
    const marks: Record<Phase, number> = { baseline: 0, redisDown: 0, bothDown: 0, recovering: 0, recovered: 0 };
    await Bun.sleep(options.phaseMs);

    marks.redisDown = load.elapsed();
    // A partition, not a refusal: connections stay open and Redis answers nothing.
    redisProxy.blackhole();
    await Bun.sleep(options.phaseMs);
    const redisDownReady = await probe("/health/ready");

    marks.bothDown = load.elapsed();
    pgProxy.refuse();
    const cutAt = performance.now();
    const noticed = await within(
      3000,
      readyWith((p) => checks(p).database === "unhealthy"),
      10,
    );
    const readinessNoticedMs = noticed === undefined ? undefined : performance.now() - cutAt;
    const duringOutage = {
      health: await probe("/health"),
      cachedMe: await probe("/api/v1/me", cached),
      freshProspects: await probe("/api/v1/prospects", fresh),
      cachedProspects: await probe("/api/v1/prospects", cached),
      ready: await probe("/health/ready"),
    };
    await Bun.sleep(options.phaseMs);

    marks.recovering = load.elapsed();
    pgProxy.heal();
    redisProxy.heal();
    const recoveredMs = await within(
      10_000,
      readyWith((p) => p.status === 200),
    );
    marks.recovered = load.elapsed();
    const afterRecovery = {
      ready: await probe("/health/ready"),
      freshProspects: await probe("/api/v1/prospects", fresh),
    };
    await Bun.sleep(options.phaseMs);
    const report = await load.stop();

    server.child.kill("SIGTERM");
    const exitCode = await exitWithin(server, 10_000);
    const direct = new SQL(database.url, { max: 1 });
    const [{ rows }] = (await direct`select count(*)::int as rows from api_usage`) as [{ rows: number }];
    await direct.close();
    return {
      load: report,
      phases: splitPhases(report.outcomes, marks),
      duringOutage,
      redisDownReady,
      readinessNoticedMs,
      recoveredMs,
      afterRecovery,
      exitCode,
      usageRows: rows,
      apiResponses: report.apiResponses + apiCalls,
    };
  } finally {
    await server.dispose();
    await Promise.all([pgProxy.close(), redisProxy.close()]);
    await database.drop();
  }
}

function splitPhases(outcomes: Outcome[], marks: Record<Phase, number>): Record<Phase, Outcome[]> {
  const phases: Record<Phase, Outcome[]> = { baseline: [], redisDown: [], bothDown: [], recovering: [], recovered: [] };
  const order: Phase[] = ["recovered", "recovering", "bothDown", "redisDown", "baseline"];
  for (const outcome of outcomes) {
    let phase = order.find((name) => outcome.sentAt >= marks[name]) ?? "baseline";
    // A request still waiting out the Redis partition when Postgres is cut met both faults.
    if (phase === "redisDown" && outcome.doneAt >= marks.bothDown) phase = "bothDown";
    // One sent while both were down and answered after they came back (it waited on the Redis
    // partition, whose reply came with the heal: a cached page) met neither fault at its end.
    if (phase === "bothDown" && outcome.doneAt >= marks.recovering) phase = "recovering";
    phases[phase].push(outcome);
  }
  return phases;
}

/** A phase as a table: path → status → count, errors under "error:<kind>". */
export function statusesByPath(outcomes: Outcome[]): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const outcome of outcomes) {
    const key = outcome.status === undefined ? `error:${outcome.error}` : String(outcome.status);
    const byStatus = out[outcome.path] ?? {};
    byStatus[key] = (byStatus[key] ?? 0) + 1;
    out[outcome.path] = byStatus;
  }
  return out;
}
