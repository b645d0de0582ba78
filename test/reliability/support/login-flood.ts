import { join } from "node:path";
import { createTestDatabase } from "../../helpers/database";
import { seedOrganization } from "../../helpers/fixtures";
import { loginOver } from "./client";
import { productionEnv, spawnServer } from "./server";

export interface LoginFloodOptions {
  /** Settings on top of the production ones (the argon2 cost stays production's). */
  env?: Record<string, string>;
  addresses: number;
  /** Logins each address sends; past the auth limit (5) they are refused with 429. */
  loginsPerAddress: number;
  /** Logins started per second, whatever the server answers. */
  loginsPerSecond: number;
}

export interface LoginFloodResult {
  /** ms of every /api/v1/me answered while the flood ran, in the order sent. */
  meMs: number[];
  meStatuses: Record<number, number>;
  loginStatuses: Record<number, number>;
  /** Logins with no HTTP answer (reset, refused). */
  loginErrors: number;
  /** The slowest login answer, ms. */
  loginMaxMs: number;
  /** Retry-After of every 503 login. */
  retryAfters: Set<string | null>;
  /** The body of the first 503 login. */
  busyBody?: unknown;
  floodMs: number;
  /** /metrics after the flood. */
  metrics: string;
  /** The server's structured log. */
  stderr: string;
}

const userAgent = "reliability-login-flood";

/**
 * Logins for unknown emails (each a full argon2id verify at the production cost) from many
 * addresses at once, through TRUST_PROXY + X-Forwarded-For (login-flood-client.ts, a process of its
 * own), while this process asks /api/v1/me with a cached token every 10 ms. Server process on a
 * file SQLite database.
 */
export async function runLoginFlood(options: LoginFloodOptions): Promise<LoginFloodResult> {
  const database = await createTestDatabase("sqlite", { file: true });
  const org = await seedOrganization(database.db, "Flood Co");
  const server = await spawnServer({ ...productionEnv, DATABASE_URL: database.url, TRUST_PROXY: "1", ...options.env });
  try {
    const token = await loginOver(server.base, org.user.email, org.user.password, userAgent);
    const me = { authorization: `Bearer ${token}`, "user-agent": userAgent };
    // Warm: the token is verified and cached, the route compiled.
    for (let i = 0; i < 20; i++) await (await fetch(`${server.base}/api/v1/me`, { headers: me })).arrayBuffer();

    const result: LoginFloodResult = {
      meMs: [],
      meStatuses: {},
      loginStatuses: {},
      loginErrors: 0,
      loginMaxMs: 0,
      retryAfters: new Set(),
      floodMs: 0,
      metrics: "",
      stderr: "",
    };
    let flooding = true;
    const prober = (async () => {
      while (flooding) {
        const started = performance.now();
        const response = await fetch(`${server.base}/api/v1/me`, { headers: me });
        await response.arrayBuffer();
        if (!flooding) break;
        result.meMs.push(performance.now() - started);
        result.meStatuses[response.status] = (result.meStatuses[response.status] ?? 0) + 1;
        await Bun.sleep(10);
      }
    })();

    const flood = Bun.spawn(
      [
        process.execPath,
        join(import.meta.dir, "login-flood-client.ts"),
        server.base,
        String(options.addresses),
        String(options.loginsPerAddress),
        String(options.loginsPerSecond),
      ],
      { stdout: "pipe", stderr: "inherit" },
    );
    const report = JSON.parse(await new Response(flood.stdout).text()) as {
      statuses: Record<number, number>;
      retryAfters: Array<string | null>;
      errors: number;
      maxMs: number;
      busyBody?: unknown;
      floodMs: number;
    };
    await flood.exited;
    Object.assign(result, {
      loginStatuses: report.statuses,
      retryAfters: new Set(report.retryAfters),
      loginErrors: report.errors,
      loginMaxMs: report.maxMs,
      busyBody: report.busyBody,
      floodMs: report.floodMs,
    });
    flooding = false;
    await prober;
    result.metrics = await (
      await fetch(`${server.base}/metrics`, { headers: { authorization: `Bearer ${productionEnv.METRICS_TOKEN}` } })
    ).text();
    result.stderr = server.stderr();
    return result;
  } finally {
    await server.dispose();
    await database.drop();
  }
}

/** The q-th quantile (0–1) of `values`, nearest rank. */
export function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
}
