import Redis, { Cluster, type ClusterOptions, type RedisOptions } from "ioredis";
import type { RedisTarget } from "../config";
import { withTimeout } from "../lib/timeout";
import type { Logger } from "../observability/logger";

/** A connection to any of the three deployments: one Redis, a Sentinel-watched master, a Cluster. */
export type RedisConnection = Redis | Cluster;

export interface CreateRedisOptions {
  /** Prepended by ioredis to every key (including keys of defined Lua commands). */
  keyPrefix?: string;
}

/**
 * The app's Redis connection for commands: readiness pings, revocation messages and the prospects
 * pages' write generations (one GET per list request: auto-pipelined, so that the reads of one
 * event-loop turn go out in one write; in a Cluster, one per node). While the
 * connection is down every command fails at once (no offline queue, no retries), so an outage
 * never piles requests up; it reconnects forever with capped backoff. A command with no answer
 * fails after 1 s at the latest; callers on the request path give up much sooner with
 * createReplyDeadline (./deadline.ts), which, unlike a plain timer such as ioredis's
 * commandTimeout, does not mistake a busy event loop for a silent Redis.
 * `target` is a RedisTarget from the configuration, or a redis:// URL.
 */
export function createRedis(
  target: RedisTarget | string,
  logger: Logger,
  options: CreateRedisOptions = {},
): RedisConnection {
  return connect(target, logger, "commands", {
    keyPrefix: options.keyPrefix,
    commandTimeout: 1000,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    enableAutoPipelining: true,
  });
}

/**
 * The rate limiter's own connection, as createRedis's, plus auto-pipelining: the scripts of one
 * event-loop turn go out in one write (in a Cluster, one write per node, which is how ioredis
 * groups them).
 */
export function createCounterRedis(target: RedisTarget | string, logger: Logger): RedisConnection {
  return connect(target, logger, "counters", {
    commandTimeout: 1000,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    enableAutoPipelining: true,
  });
}

/**
 * A second connection for pub/sub (a subscribed connection can run no other command). SUBSCRIBE
 * issued before the connection is up waits for it, and subscriptions are renewed after a reconnect.
 * In a Cluster, ioredis subscribes on one node and moves the subscription when that node goes;
 * classic PUBLISH reaches every node of a cluster, so any node hears every message.
 */
export function createRedisSubscriber(target: RedisTarget | string, logger: Logger): RedisConnection {
  return connect(target, logger, "subscriber", { enableOfflineQueue: true, maxRetriesPerRequest: null });
}

/**
 * Resolves true once the connection is ready, false if it is not within `ms`. Never rejects. A
 * Cluster's connections to its masters open on first use; they are opened here, so that the first
 * requests do not wait for the handshakes (and the limiter's 50 ms deadline does not pass).
 */
export async function waitForRedis(redis: RedisConnection, ms: number): Promise<boolean> {
  const started = performance.now();
  const ready = await whenReady(redis, ms);
  if (!ready || !(redis instanceof Cluster)) return ready;
  const masters = redis.nodes("master").map((node) => (node.status === "wait" ? node.connect() : undefined));
  const left = Math.max(0, ms - (performance.now() - started));
  return withTimeout(Promise.all(masters), left).then(
    () => true,
    () => false,
  );
}

function whenReady(redis: RedisConnection, ms: number): Promise<boolean> {
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

type ConnectionOptions = RedisOptions & Pick<ClusterOptions, "enableAutoPipelining">;

function open(target: RedisTarget | string, role: string, options: ConnectionOptions): RedisConnection {
  const common: RedisOptions = {
    connectTimeout: 2000,
    retryStrategy: reconnectDelay,
    connectionName: `revenue-api:${role}`,
    ...options,
  };
  if (typeof target === "string") return new Redis(target, common);
  switch (target.kind) {
    case "single":
      return new Redis(target.url, { ...common, password: target.password });
    case "sentinel":
      return new Redis({
        ...common,
        sentinels: target.sentinels,
        name: target.masterName,
        password: target.password,
        sentinelPassword: target.sentinelPassword,
        tls: target.tls ? {} : undefined,
        sentinelTLS: target.tls ? {} : undefined,
        enableTLSForSentinelMode: target.tls,
        sentinelRetryStrategy: reconnectDelay,
        // A sentinel that does not answer is given up on, and the next one asked (ioredis waits forever).
        sentinelCommandTimeout: 1000,
        // No failoverDetector (+switch-master): with it, one connection in six was seen to end for
        // good after a failover. The master's connection closes when it dies, and each reconnect
        // asks the sentinels again, which is as quick on a master that is gone.
        failoverDetector: false,
      });
    case "cluster": {
      // No retryStrategy per node: a node whose connection ends leaves the pool (ioredis then asks
      // the others who owns its slots), instead of being retried while its replica took over.
      const { keyPrefix, enableOfflineQueue, enableAutoPipelining, retryStrategy: _, ...node } = common;
      return new Cluster(target.nodes, {
        keyPrefix,
        enableOfflineQueue,
        enableAutoPipelining,
        clusterRetryStrategy: reconnectDelay,
        // A master that went away: look again for the slot's owner every 100 ms (a promoted replica).
        retryDelayOnFailover: 100,
        retryDelayOnClusterDown: 100,
        slotsRefreshTimeout: 1000,
        slotsRefreshInterval: 5000,
        redisOptions: { ...node, password: target.password, tls: target.tls ? {} : undefined },
      });
    }
  }
}

function connect(target: RedisTarget | string, logger: Logger, role: string, options: ConnectionOptions) {
  const redis = open(target, role, options);
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
export async function closeRedis(redis: RedisConnection): Promise<void> {
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
