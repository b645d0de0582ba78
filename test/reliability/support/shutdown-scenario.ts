import type { Dialect } from "../../../src/db/database";
import { createTestDatabase } from "../../helpers/database";
import { seedOrganization } from "../../helpers/fixtures";
import { accessLinesOf, loginOver, slowPost } from "./client";
import { type LoadReport, startLoad } from "./load";
import { exitWithin, productionEnv, spawnServer } from "./server";

export interface ShutdownScenarioOptions {
  rate: number;
  /** The database the server writes its api_usage rows to; a file SQLite database by default. */
  dialect?: Dialect;
  /** Load before the signal. */
  warmupMs: number;
  delayMs: number;
  timeoutMs: number;
}

export interface ShutdownScenarioResult {
  load: LoadReport;
  /** ms from the start of the load to SIGTERM. */
  signalAt: number;
  exitCode: number | undefined;
  /** ms from SIGTERM to exit. */
  exitMs: number;
  /** Earliest refused connection, ms after SIGTERM (undefined when none). */
  firstRefusalAfterSignal?: number;
  /** Latest response received, ms after SIGTERM. */
  lastResponseAfterSignal: number;
  /** Logins whose bodies were still arriving when the listener closed. */
  stragglers: Array<{ status?: number; error?: string }>;
  usageRows: number;
  /** /api/v1 responses received by the load, the set-up login and the stragglers. */
  apiResponses: number;
  accessLogLines: number;
  stderr: string;
}

const userAgent = "reliability-shutdown-load";
const stragglerCount = 4;

/**
 * A real server process on a file SQLite (or a Postgres) database under a steady load, SIGTERM in the middle,
 * the load kept up until after the process is gone. Returns what the client saw and what the
 * process left behind (api_usage rows, access log lines).
 */
export async function runShutdownScenario(options: ShutdownScenarioOptions): Promise<ShutdownScenarioResult> {
  const database = await createTestDatabase(options.dialect ?? "sqlite", { file: true });
  const org = await seedOrganization(database.db, "Shutdown Co");
  const server = await spawnServer({
    ...productionEnv,
    DATABASE_URL: database.url,
    SHUTDOWN_DELAY_MS: String(options.delayMs),
    SHUTDOWN_TIMEOUT_MS: String(options.timeoutMs),
    // The scenario counts rows after exit: flushing at shutdown is what is under test, not the timer.
    USAGE_FLUSH_INTERVAL_MS: "60000",
    RATE_LIMIT_AUTH_MAX: "10000000",
  });
  try {
    const token = await loginOver(server.base, org.user.email, org.user.password, userAgent);
    const authorization = `Bearer ${token}`;
    const load = startLoad({
      base: server.base,
      rate: options.rate,
      userAgent,
      targets: [
        { path: "/api/v1/me", headers: { authorization } },
        { path: "/api/v1/prospects?limit=5", headers: { authorization } },
        { path: "/health" },
        { path: "/api/v1/me", headers: { authorization } },
      ],
    });
    await Bun.sleep(options.warmupMs);
    const signalAt = load.elapsed();
    server.child.kill("SIGTERM");
    // Requests still being read when the listener closes: their responses must be logged and counted too.
    await Bun.sleep(Math.max(0, options.delayMs - 150));
    const login = `${server.base}/api/v1/auth/login`;
    const credentials = { email: org.viewer.email, password: "not the password" };
    const stragglers = Promise.all(
      Array.from({ length: stragglerCount }, () => slowPost(login, credentials, 300, userAgent)),
    );
    const exitCode = await exitWithin(server, options.delayMs + options.timeoutMs + 3000);
    const exitMs = load.elapsed() - signalAt;
    // Keep knocking after the exit: those requests must be refused connections, not hangs.
    await Bun.sleep(300);
    const report = await load.stop();
    const late = await stragglers;

    const refusals = report.outcomes.filter((o) => o.error === "refused").map((o) => o.sentAt - signalAt);
    const answered = report.outcomes.filter((o) => o.status !== undefined).map((o) => o.doneAt - signalAt);
    const [{ rows }] = (await database.db.sql`select count(*) as rows from api_usage`) as [{ rows: number }];
    return {
      load: report,
      signalAt,
      exitCode,
      exitMs,
      firstRefusalAfterSignal: refusals.length > 0 ? Math.min(...refusals) : undefined,
      lastResponseAfterSignal: Math.max(...answered),
      stragglers: late,
      usageRows: Number(rows),
      apiResponses: report.apiResponses + 1 + late.filter((s) => s.status !== undefined).length,
      accessLogLines: accessLinesOf(server.stdout(), userAgent).length,
      stderr: server.stderr(),
    };
  } finally {
    await server.dispose();
    await database.drop();
  }
}
