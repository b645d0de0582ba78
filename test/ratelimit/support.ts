import { expect } from "bun:test";
import { Elysia } from "elysia";
import Redis from "ioredis";
import type { Config } from "../../src/config";
import { createAllowedMethods } from "../../src/http/allowed-methods";
import { ok } from "../../src/http/envelope";
import { errorHandler } from "../../src/http/error-handler";
import { rateLimitPlugin } from "../../src/http/rate-limit";
import { requestContext } from "../../src/http/request-context";
import { requestState } from "../../src/http/request-state";
import { responseFinisher } from "../../src/http/response-finisher";
import type { Principal } from "../../src/modules/auth/principal";
import { healthRoutes, type ReadinessCheck } from "../../src/modules/health";
import { createMemoryLogger, type Logger } from "../../src/observability/logger";
import type { RateLimiter } from "../../src/ratelimit/limiter";
import { createCounterRedis, type RedisConnection, waitForRedis } from "../../src/redis/client";
import type { ServerProcess } from "../server/server-process";

/** The Redis the tests use; TEST_REDIS_URL overrides it. */
export const redisUrl = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

/** Whether Redis answers; under CI a silent Redis fails the run instead of skipping tests. */
export const redisAvailable = await redisAnswers();

/** A key prefix of its own per test file (or test), so files run in parallel without meeting. */
export function testPrefix(): string {
  return `test:${Bun.randomUUIDv7().slice(-12)}:`;
}

/** A plain connection for assertions and cleanup (not the limiter's: no 50 ms timeout here). */
export function adminRedis(): Redis {
  return new Redis(redisUrl, { lazyConnect: false, maxRetriesPerRequest: 1 });
}

/** A rate limiter's own connection, as dependencies.ts makes it, connected. */
export async function counterConnection(
  url: Parameters<typeof createCounterRedis>[0] = redisUrl,
): Promise<RedisConnection> {
  const client = createCounterRedis(url, createMemoryLogger());
  await waitForRedis(client, 2000);
  return client;
}

export async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== "0");
}

export interface LimitedAppOptions {
  config: Config;
  limiter?: RateLimiter;
  logger?: Logger;
  readiness?: Record<string, ReadinessCheck>;
}

/**
 * The app as app.ts and modules/api.ts compose it (request context, response finisher, error
 * envelope, health outside /api/v1; guards with the rateLimit macro, /api/v1 under
 * `guard({ rateLimit: "general" })`), with test routes: an anonymous /ping, /search with its own
 * policy, /fails that throws after the limit, and /whoami whose caller is named by X-Test-User
 * (standing in for the auth macro, which sets the principal before the limit runs).
 */
export function buildLimitedApp(options: LimitedAppOptions) {
  const { config } = options;
  const logger = options.logger ?? createMemoryLogger();
  const app = new Elysia({ normalize: true });
  const allowedMethods = createAllowedMethods(() => app.routes);
  const guards = new Elysia({ name: "guards" })
    .derive({ as: "global" }, ({ request }) => {
      const user = request.headers.get("x-test-user");
      const state = requestState(request);
      if (user && state) state.principal = testPrincipal(user);
      return {};
    })
    .use(rateLimitPlugin(options.limiter, config));
  const routes = new Elysia()
    .use(guards)
    .get("/ping", () => ok({ pong: true }))
    .get("/search", () => ok({ results: [] }), { rateLimit: "search" })
    .get("/fails", () => {
      throw new Error("handler failed");
    })
    .get("/whoami", ({ request }) => ok({ id: requestState(request)?.principal?.id ?? null }));

  return app
    .use(requestContext(config))
    .use(responseFinisher(config))
    .use(errorHandler({ config, logger, allowedMethods }))
    .use(healthRoutes(options.readiness ?? {}, { shuttingDown: false }))
    .use(new Elysia({ prefix: "/api/v1" }).use(guards).guard({ rateLimit: "general" }, (api) => api.use(routes)));
}

export type LimitedApp = ReturnType<typeof buildLimitedApp>;

export function get(
  app: { handle(request: Request): Promise<Response> },
  path: string,
  headers: Record<string, string> = {},
) {
  return app.handle(new Request(`http://localhost${path}`, { headers }));
}

function testPrincipal(user: string): Principal {
  return {
    kind: "user",
    id: `user:${user}`,
    userId: user,
    apiKeyId: null,
    sessionId: null,
    organizationId: "org-test",
    role: "user",
    email: null,
    apiKey: null,
  };
}

async function redisAnswers(): Promise<boolean> {
  const probe = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on("error", () => {});
  try {
    await probe.connect();
    await probe.ping();
    return true;
  } catch (error) {
    if (process.env.CI) throw new Error(`Redis at ${redisUrl} does not answer (CI requires it)`, { cause: error });
    console.warn(`warning: Redis at ${redisUrl} does not answer; Redis rate-limit tests are skipped`);
    return false;
  } finally {
    probe.disconnect();
  }
}

/**
 * `limit` answers passed and the rest were refused, with one shared count behind them: every
 * remaining value from limit − 1 down to 0 was handed out exactly once, whichever process answered.
 */
export function expectOneSharedCount(responses: Response[], limit: number): void {
  const statuses = responses.map((r) => r.status);
  expect(statuses.filter((s) => s === 401)).toHaveLength(limit);
  expect(statuses.filter((s) => s === 429)).toHaveLength(responses.length - limit);
  const remaining = responses
    .filter((r) => r.status === 401)
    .map((r) => Number(r.headers.get("x-ratelimit-remaining")))
    .sort((a, b) => a - b);
  expect(remaining).toEqual(Array.from({ length: limit }, (_, i) => i));
}

/** The readiness check of Redis on a server process, polled for up to `ms` until it says `wanted`. */
export async function redisCheck(server: ServerProcess, wanted: string, ms: number): Promise<string | undefined> {
  const deadline = Date.now() + ms;
  for (;;) {
    const ready = (await (await fetch(`${server.base}/health/ready`)).json()) as { checks: Record<string, string> };
    if (ready.checks.redis === wanted || Date.now() >= deadline) return ready.checks.redis;
    await Bun.sleep(100);
  }
}
