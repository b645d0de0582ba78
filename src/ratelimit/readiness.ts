import type { RedisConnection } from "../redis/client";
import type { RateLimiter } from "./limiter";

/**
 * Readiness of `redis`: unhealthy while the limiter counts in memory (limits are per instance
 * then) or when PING fails; the health module bounds the wait.
 */
export function redisReadiness(redis: RedisConnection, limiter: RateLimiter): () => Promise<void> {
  return async () => {
    if (limiter.storeState() !== "redis") throw new Error("rate limiter is counting in process memory");
    await redis.ping();
  };
}
