import type { RedisClient } from "bun";
import type { Config } from "../config";
import type { Logger } from "../observability/logger";
import { createReplyDeadline } from "../redis/deadline";
import { createBlockedKeys } from "./blocked-keys";
import { decision, policyState, type RateDecision } from "./decision";
import { createMemoryStore } from "./memory-store";
import { type Policy, type PolicyName, policiesFrom } from "./policies";
import { createRedisStore } from "./redis-store";
import type { Counter, CounterState, StoreOutcome } from "./store";

export type { PolicyState, RateDecision } from "./decision";

export type StoreState = "redis" | "memory";

export interface RateLimiter {
  /**
   * Counts one request of `key` against every policy given (at least one), all or nothing. Never
   * fails for want of Redis: it counts in memory instead.
   */
  consume(key: string, policies: readonly PolicyName[]): Promise<RateDecision>;
  /** Where counts live right now: "memory" without Redis, or while Redis is unreachable. */
  storeState(): StoreState;
  /** Stops timers; the Redis connection belongs to the caller. */
  close(): Promise<void>;
}

export interface RateLimiterOptions {
  config: Pick<Config, "rateLimits" | "rateLimitPrefix" | "env">;
  /** The limiter's own connection (createCounterClient); the caller connects and closes it. */
  redis?: RedisClient;
  logger: Logger;
  /** Key prefix in Redis; defaults to RATE_LIMIT_PREFIX. */
  prefix?: string;
  /** How often to look for Redis again while counting in memory. */
  probeIntervalMs?: number;
  /** How long a request waits for Redis before it is counted in memory instead. */
  redisTimeoutMs?: number;
}

/**
 * Fixed-window limits per client, shared through Redis when there is one. While Redis is
 * unreachable, counts continue in this process's memory (each instance then allows the full
 * limit) and requests keep being served; when Redis answers again, its counts are used again.
 */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const { redis, logger } = options;
  const policies = policiesFrom(options.config);
  const prefix = options.prefix ?? options.config.rateLimitPrefix;
  const memory = createMemoryStore();
  const blocked = createBlockedKeys();
  const deadline = createReplyDeadline(options.redisTimeoutMs ?? 50);
  const shared = redis ? createRedisStore(redis, deadline) : undefined;
  let state: StoreState = redis ? "redis" : "memory";
  let probe: ReturnType<typeof setInterval> | undefined;
  let closed = false;

  if (!redis && options.config.env === "production") {
    logger.warn("REDIS_URL is not set: rate limits are counted per process, so each instance allows the full limit");
  }

  const fallBack = (reason: string) => {
    if (state === "memory" || !redis || closed) return;
    state = "memory";
    logger.warn("rate limiter: Redis unavailable, counting in process memory", { reason });
    probe = setInterval(() => void lookForRedis(), options.probeIntervalMs ?? 500);
    probe.unref();
  };
  let probing = false;
  const lookForRedis = async () => {
    if (!redis || probing) return;
    probing = true;
    try {
      // Bun's client reconnects by itself; connect() covers a client that gave up.
      if (!redis.connected) await deadline(redis.connect());
      await deadline(redis.send("PING", []));
      if (state === "memory" && !closed) {
        state = "redis";
        clearInterval(probe);
        logger.info("rate limiter: Redis answers again, counting in Redis");
      }
    } catch {
      // Still down: the next tick tries again.
    } finally {
      probing = false;
    }
  };
  if (redis && !redis.connected) fallBack("not connected");

  const count = async (counters: Counter[]): Promise<StoreOutcome> => {
    if (!shared || state === "memory") return memory.consume(counters);
    try {
      const outcome = await shared.consume(counters);
      outcome.states.forEach((s, i) => {
        const counter = counters[i] as Counter;
        if (s.count >= counter.max) blocked.block(counter.key, s.resetAtMs);
      });
      return outcome;
    } catch (error) {
      fallBack(error instanceof Error ? error.message : String(error));
      return memory.consume(counters);
    }
  };

  return {
    async consume(key, names) {
      const applied: Policy[] = [...new Set(names)].map((name) => policies[name]);
      const counters = applied.map((p) => ({ key: storeKey(prefix, p.name, key), max: p.max, windowMs: p.windowMs }));
      const now = Date.now();

      // Exhausted keys are refused from memory until their window ends: no Redis call.
      const exhausted = counters.flatMap((c, i) => {
        const until = blocked.blockedUntil(c.key);
        if (until === undefined) return [];
        return [policyState(applied[i] as Policy, { count: c.max, resetAtMs: until }, false, now)];
      });
      if (exhausted.length > 0) return decision(false, exhausted);

      const outcome = await count(counters);
      const after = Date.now();
      return decision(
        outcome.allowed,
        applied.map((p, i) => policyState(p, outcome.states[i] as CounterState, outcome.allowed, after)),
      );
    },
    storeState: () => state,
    async close() {
      closed = true;
      clearInterval(probe);
      memory.close();
    },
  };
}

/**
 * `<prefix><policy>:{<client>}`: a prefix per policy for operators, and the client in a hash tag so
 * that all counters of one request live in one Redis Cluster slot (one script may touch them all).
 */
function storeKey(prefix: string, policy: PolicyName, client: string): string {
  return `${prefix}${policy}:{${client}}`;
}
