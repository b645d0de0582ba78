import type Redis from "ioredis";
import type { SeededAccounts } from "./database";
import type { RequestSpec } from "./load-spec";
import type { Credentials } from "./scenarios";

/** Settings of the API under test: production, access log and usage on, every limit counted but never reached. */
export function apiEnvironment(input: {
  databaseUrl: string;
  redisUrl: string;
  stamp: string;
}): Record<string, string> {
  const unreachable = "1000000000";
  return {
    NODE_ENV: "production",
    DATABASE_URL: input.databaseUrl,
    REDIS_URL: input.redisUrl,
    RATE_LIMIT_PREFIX: `bench:${input.stamp}:`,
    JWT_SECRET: randomSecret(),
    JWT_REFRESH_SECRET: randomSecret(),
    METRICS_TOKEN: randomSecret(),
    ACCESS_TOKEN_TTL: "2h",
    LOG_FORMAT: "combined",
    USAGE_TRACKING: "true",
    RATE_LIMIT_MAX: unreachable,
    RATE_LIMIT_AUTH_MAX: unreachable,
    RATE_LIMIT_SEARCH_MAX: unreachable,
    RATE_LIMIT_EMAIL_MAX: unreachable,
    RATE_LIMIT_AI_MAX: unreachable,
    SHUTDOWN_DELAY_MS: "0",
  };
}

/** Signs in as the seeded user (the JWT) and as the admin, who creates a `user` API key. */
export async function obtainCredentials(base: string, accounts: SeededAccounts): Promise<Credentials> {
  const user = await login(base, accounts.user);
  const admin = await login(base, accounts.admin);
  const response = await fetch(`${base}/api/v1/api-keys`, {
    method: "POST",
    headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
    body: JSON.stringify({ name: "bench", role: "user" }),
  });
  const body = (await response.json()) as { data?: { key?: string } };
  if (response.status !== 201 || !body.data?.key) {
    throw new Error(`could not create an API key: ${response.status} ${JSON.stringify(body)}`);
  }
  return { accessToken: user, apiKey: body.data.key };
}

async function login(base: string, account: { email: string; password: string }): Promise<string> {
  const response = await fetch(`${base}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(account),
  });
  const body = (await response.json()) as { data?: { accessToken?: string } };
  if (response.status !== 200 || !body.data?.accessToken) {
    throw new Error(`login as ${account.email} failed: ${response.status} ${JSON.stringify(body)}`);
  }
  return body.data.accessToken;
}

/** One request before the load: its status says whether the route exists yet (404 = not yet). */
export async function probe(base: string, request: RequestSpec, tag: string): Promise<number> {
  const response = await fetch(`${base}${request.path}`, {
    method: request.method,
    headers: request.headers,
    body: request.body?.replaceAll("{n}", `${tag}-probe`),
  });
  await response.arrayBuffer();
  return response.status;
}

/**
 * Refuses to measure an API that is not on the real dependencies: with Redis down it would count
 * limits in memory and look faster than it is.
 */
export async function assertReady(base: string): Promise<void> {
  const response = await fetch(`${base}/health/ready`);
  const body = (await response.json()) as { checks?: Record<string, string> };
  const { database, redis } = body.checks ?? {};
  if (response.status !== 200 || database !== "healthy" || redis !== "healthy") {
    throw new Error(`the API is not ready on Postgres and Redis: ${response.status} ${JSON.stringify(body.checks)}`);
  }
}

/** The server's own view of its memory (GET /health), to tell the JavaScript heap from the rest of RSS. */
export async function serverMemory(base: string): Promise<string> {
  const response = await fetch(`${base}/health`);
  const body = (await response.json()) as { memory?: Record<string, number> };
  const mb = (bytes: number | undefined) => `${((bytes ?? 0) / 1e6).toFixed(1)} MB`;
  const memory = body.memory ?? {};
  return `rss ${mb(memory.rss)}, heap total ${mb(memory.heapTotal)}, heap used ${mb(memory.heapUsed)}`;
}

/** Removes the run's rate-limit counters (they would expire by themselves within the hour). */
export async function deleteRedisKeys(redis: Redis, prefix: string): Promise<number> {
  let removed = 0;
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
    cursor = next;
    if (keys.length > 0) removed += await redis.del(...keys);
  } while (cursor !== "0");
  return removed;
}

function randomSecret(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(48))).toString("base64url");
}
