import { expect } from "bun:test";
import type { App } from "../../src/app";
import type { Database } from "../../src/db/database";
import { createRevocationBus, type RevocationBus } from "../../src/modules/auth/revocation-bus";
import { createMemoryLogger } from "../../src/observability/logger";
import { createRedis, createRedisSubscriber, type RedisConnection, waitForRedis } from "../../src/redis/client";
import { buildTestApp, testConfig } from "../helpers/app";
import { cheapHashEnv } from "../helpers/fixtures";
import { redisUrl } from "../ratelimit/support";

// One signing key for every instance: a token one of them issued is valid on the others.
const sharedJwt = testConfig().jwt;

/** An app instance on a shared database, with its own caches, revocations through `bus`. */
export function appInstance(db: Database, bus: RevocationBus): App {
  const config = testConfig(cheapHashEnv);
  return buildTestApp({ deps: { db, bus, logger: createMemoryLogger(), config: { ...config, jwt: sharedJwt } } }).app;
}

/**
 * A revocation bus on its own Redis connections, as dependencies.ts makes it, both connected;
 * the subscriber on `subscriberUrl` (a fault proxy, say). The connections go into `connections`
 * for the caller to close.
 */
export async function redisBus(connections: RedisConnection[], subscriberUrl = redisUrl): Promise<RevocationBus> {
  const logger = createMemoryLogger();
  const publisher = createRedis(redisUrl, logger);
  const subscriber = createRedisSubscriber(subscriberUrl, logger);
  connections.push(publisher, subscriber);
  expect(await waitForRedis(publisher, 2000)).toBe(true);
  expect(await waitForRedis(subscriber, 2000)).toBe(true);
  return createRevocationBus({ logger, publisher, subscriber });
}
