import { readFileSync } from "node:fs";
import { createTestDatabase } from "../../helpers/database";
import { type FaultProxy, startFaultProxy } from "../../helpers/fault-proxy";
import { seedOrganization } from "../../helpers/fixtures";
import { loginOver } from "./client";
import { productionEnv, type RunningServer, spawnServer } from "./server";

export type DatabaseFault = "accept-then-close" | "blackhole";

/** One request as a client saw it: status (or the socket error), time, and what it said. */
export interface Answer {
  status?: number;
  error?: string;
  ms: number;
  retryAfter: string | null;
  body: string;
}

export interface DatabaseFaultResult {
  fault: DatabaseFault;
  /** The first request that needs the database after the fault, and a login right after it. */
  first: Answer;
  login: Answer;
  /** Ten more requests one after the other, while the circuit is open. */
  following: Answer[];
  /** /api/v1/me with a token already checked, and /health, during the fault. */
  cachedMe: Answer;
  health: Answer;
  ready: { status: number; database: string };
  /** circuit_breaker_state{dependency="database"} during the fault. */
  gauge: number | undefined;
  /** Connections the server opened to the database per second during the fault, after the first answers. */
  reconnectsPerSecond: number;
  /** ms from healing until a database-backed request answered 200 again. */
  recoveredMs: number | undefined;
  /** 200 concurrent database-backed requests sent at the moment of a second fault. */
  burst: { answers: Answer[]; wallMs: number; rssGrowthMb: number };
  burstRecoveredMs: number | undefined;
  /** The structured log lines about the circuit. */
  circuitLog: string[];
}

const userAgent = "reliability-database-faults";
const metricsToken = productionEnv.METRICS_TOKEN as string;

/** A production server on Postgres behind a fault proxy; the proxy fails in one way, twice. */
export async function runDatabaseFaultScenario(
  fault: DatabaseFault,
  options: { faultMs?: number; burst?: number } = {},
): Promise<DatabaseFaultResult> {
  const { org, proxy, server, dispose } = await serverBehindDatabaseProxy("Database Faults Co", {
    SHUTDOWN_DELAY_MS: "0",
  });
  const breakLink = () => (fault === "blackhole" ? proxy.blackhole() : proxy.acceptThenClose());
  try {
    const cached = await loginOver(server.base, org.user.email, org.user.password, userAgent);
    const fresh = await loginOver(server.base, org.viewer.email, org.viewer.password, userAgent);
    const prospects = () => ask(server, "/api/v1/prospects?limit=5", fresh);
    if ((await ask(server, "/api/v1/me", cached)).status !== 200) throw new Error("set-up: /me did not answer 200");
    if ((await prospects()).status !== 200) throw new Error("set-up: /prospects did not answer 200");

    breakLink();
    const first = await prospects();
    const login = await askLogin(server, org.admin.email, org.admin.password);
    const acceptedBefore = proxy.accepted;
    const countFrom = performance.now();
    const following: Answer[] = [];
    for (let i = 0; i < 10; i++) following.push(await prospects());
    const cachedMe = await ask(server, "/api/v1/me", cached);
    const health = await ask(server, "/health");
    const readyAnswer = await ask(server, "/health/ready");
    const gauge = await gaugeOf(server);
    // Let the breaker probe a few times: its probes are the only connections it should open now.
    await Bun.sleep(options.faultMs ?? 3000);
    const reconnectsPerSecond = (proxy.accepted - acceptedBefore) / ((performance.now() - countFrom) / 1000);

    const recoveredMs = await healAndWait(proxy, prospects);

    breakLink();
    const rssBefore = rssMb(server);
    const burstStarted = performance.now();
    const answers = await Promise.all(Array.from({ length: options.burst ?? 200 }, () => prospects()));
    const wallMs = performance.now() - burstStarted;
    const rssGrowthMb = rssMb(server) - rssBefore;
    const burstRecoveredMs = await healAndWait(proxy, prospects);

    return {
      fault,
      first,
      login,
      following,
      cachedMe,
      health,
      ready: { status: readyAnswer.status ?? 0, database: JSON.parse(readyAnswer.body).checks?.database },
      gauge,
      reconnectsPerSecond,
      recoveredMs,
      burst: { answers, wallMs, rssGrowthMb },
      burstRecoveredMs,
      circuitLog: server
        .stderr()
        .split("\n")
        .filter((line) => line.includes("circuit breaker")),
    };
  } finally {
    await dispose();
  }
}

/**
 * A production server on Postgres behind a link that carries every chunk `delayMs` late: `requests`
 * database-backed requests at once and a login, with REQUEST_TIMEOUT_S as given. What each got.
 */
export async function runSlowLinkScenario(options: {
  delayMs: number;
  requestTimeoutS: number;
  requests: number;
}): Promise<Answer[]> {
  const { org, proxy, server, dispose } = await serverBehindDatabaseProxy("Slow Link Co", {
    REQUEST_TIMEOUT_S: String(options.requestTimeoutS),
  });
  try {
    const token = await loginOver(server.base, org.viewer.email, org.viewer.password, userAgent);
    proxy.slow(options.delayMs);
    return await Promise.all([
      ...Array.from({ length: options.requests }, () => ask(server, "/api/v1/prospects?limit=5", token)),
      askLogin(server, org.admin.email, org.admin.password),
    ]);
  } finally {
    await dispose();
  }
}

/** Heals the link and polls a database-backed request until it answers 200; ms it took. */
async function healAndWait(proxy: FaultProxy, request: () => Promise<Answer>): Promise<number | undefined> {
  proxy.heal();
  const healed = performance.now();
  while (performance.now() - healed < 10_000) {
    if ((await request()).status === 200) return performance.now() - healed;
    await Bun.sleep(20);
  }
  return undefined;
}

export async function ask(server: RunningServer, path: string, token?: string): Promise<Answer> {
  return timed(() =>
    fetch(`${server.base}${path}`, {
      headers: { "user-agent": userAgent, ...(token ? { authorization: `Bearer ${token}` } : {}) },
    }),
  );
}

export function askLogin(server: RunningServer, email: string, password: string): Promise<Answer> {
  return timed(() =>
    fetch(`${server.base}/api/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json", "user-agent": userAgent },
      body: JSON.stringify({ email, password }),
    }),
  );
}

async function timed(send: () => Promise<Response>): Promise<Answer> {
  const started = performance.now();
  try {
    const response = await send();
    const body = await response.text();
    return {
      status: response.status,
      ms: performance.now() - started,
      retryAfter: response.headers.get("retry-after"),
      body,
    };
  } catch (error) {
    const code = (error as { code?: string }).code ?? String(error);
    return { error: code, ms: performance.now() - started, retryAfter: null, body: "" };
  }
}

async function gaugeOf(server: RunningServer): Promise<number | undefined> {
  const text = await (
    await fetch(`${server.base}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } })
  ).text();
  const line = text.split("\n").find((l) => l.startsWith('circuit_breaker_state{dependency="database"}'));
  return line === undefined ? undefined : Number(line.split(" ").at(-1));
}

/** The server process's resident memory, from /proc. */
export function rssMb(server: RunningServer): number {
  const status = readFileSync(`/proc/${server.child.pid}/status`, "utf8");
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

/** Whether a body shows what a client must never see: SQL, a stack, a connection string, driver text. */
export function leaks(body: string): string | undefined {
  const patterns = [
    /select|insert|update\s|from\s+\w+\s+where/i,
    /\bat\s+\S+:\d+:\d+/,
    /postgres(ql)?:\/\//i,
    /ERR_POSTGRES|ECONN/i,
  ];
  const found = patterns.find((p) => p.test(body));
  return found && `${found} in ${body.slice(0, 200)}`;
}

/** A seeded organization and a production server whose Postgres link runs through a fault proxy. */
async function serverBehindDatabaseProxy(organization: string, env: Record<string, string>) {
  const database = await createTestDatabase("postgres");
  const org = await seedOrganization(database.db, organization);
  const target = new URL(database.url);
  const proxy = await startFaultProxy(target.hostname, Number(target.port || 5432));
  const viaProxy = new URL(database.url);
  viaProxy.port = String(proxy.port);
  const server = await spawnServer({
    ...productionEnv,
    DATABASE_URL: viaProxy.toString(),
    USAGE_TRACKING: "false",
    LOG_FORMAT: "none",
    ...env,
  });
  const dispose = async () => {
    await server.dispose();
    proxy.heal();
    await proxy.close();
    await database.drop();
  };
  return { org, proxy, server, dispose };
}
