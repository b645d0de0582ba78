import Redis, { type RedisOptions } from "ioredis";
import type { Logger } from "../observability/logger";

export interface CreateRedisOptions {
  /** Prepended by ioredis to every key (including keys of defined Lua commands). */
  keyPrefix?: string;
}

/**
 * The app's Redis connection for commands: readiness pings and revocation messages (the rate
 * limiter counts on a connection of its own, ./counter-client.ts). While the connection is down
 * every command fails at once (no offline queue, no retries), so an outage never piles requests
 * up; it reconnects forever with capped backoff. A command with no answer fails after 1 s at the
 * latest; callers on the request path give up much sooner with createReplyDeadline
 * (./deadline.ts), which, unlike a plain timer such as ioredis's commandTimeout, does not mistake
 * a busy event loop for a silent Redis. No auto-pipelining: nothing sent here comes in bursts.
 */
export function createRedis(url: string, logger: Logger, options: CreateRedisOptions = {}): Redis {
  return connect(url, logger, "commands", {
    keyPrefix: options.keyPrefix,
    commandTimeout: 1000,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
  });
}

/**
 * A second connection for pub/sub (a subscribed connection can run no other command). SUBSCRIBE
 * issued before the connection is up waits for it, and subscriptions are renewed after a reconnect.
 */
export function createRedisSubscriber(url: string, logger: Logger): Redis {
  return connect(url, logger, "subscriber", { enableOfflineQueue: true, maxRetriesPerRequest: null });
}

/** Resolves true once the connection is ready, false if it is not within `ms`. Never rejects. */
export function waitForRedis(redis: Redis, ms: number): Promise<boolean> {
  if (redis.status === "ready") return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ready: boolean) => {
      clearTimeout(timer);
      redis.off("ready", onReady);
      resolve(ready);
    };
    const onReady = () => done(true);
    const timer = setTimeout(() => done(false), ms);
    redis.once("ready", onReady);
  });
}

/** Reconnect delay: 50 ms doubling up to 1 s, so a recovered Redis is found again within a second. */
export function reconnectDelay(attempt: number): number {
  return Math.min(50 * 2 ** Math.max(attempt - 1, 0), 1000);
}

function connect(url: string, logger: Logger, role: string, options: RedisOptions): Redis {
  const redis = new Redis(url, {
    connectTimeout: 2000,
    retryStrategy: reconnectDelay,
    connectionName: `revenue-api:${role}`,
    ...options,
  });
  // One line per outage and one per recovery: a reconnect loop must not flood the log.
  let down = false;
  const markDown = (reason: string) => {
    if (down) return;
    down = true;
    logger.warn("redis unavailable", { role, reason });
  };
  redis.on("error", (error: Error) => markDown(error.message));
  // Emitted only for connections it will retry, so an intentional quit() stays silent.
  redis.on("reconnecting", () => markDown("connection closed"));
  redis.on("ready", () => {
    if (!down) return;
    down = false;
    logger.info("redis available again", { role });
  });
  return redis;
}

/** Closes a connection at shutdown: QUIT when it is up (pending replies arrive first), else drop it. */
export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status !== "ready") {
    redis.disconnect();
    return;
  }
  try {
    await redis.quit();
  } catch {
    redis.disconnect();
  }
}
