import { Gauge, type Registry } from "prom-client";
import type { RateLimiter } from "./limiter";

/**
 * `rate_limit_store_fallback`: 1 while limits are counted in process memory because Redis is
 * unreachable (or not configured), 0 while they are shared through Redis. Alert on it: in fallback
 * every instance allows the full limit.
 */
export function registerRateLimitMetrics(registry: Registry, limiter: RateLimiter): void {
  new Gauge({
    name: "rate_limit_store_fallback",
    help: "1 when rate limits are counted in process memory instead of Redis",
    registers: [registry],
    collect() {
      this.set(limiter.storeState() === "memory" ? 1 : 0);
    },
  });
}
