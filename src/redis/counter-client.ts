import { RedisClient } from "bun";
import { withTimeout } from "../lib/timeout";

/**
 * The rate limiter's own Redis connection, on Bun's built-in client rather than ioredis: the
 * limiter sends one script call per event-loop turn under load, and ioredis' JavaScript encoding
 * and `node:net` socket writes were most of what that call cost the server (docs/performance.md).
 * Like the request-path ioredis connection: no offline queue (a command while disconnected fails
 * at once, and the limiter counts in memory), reconnects on its own; the limiter's probe calls
 * connect() again should the client ever give up.
 */
export function createCounterClient(url: string): RedisClient {
  return new RedisClient(url, {
    enableOfflineQueue: false,
    autoReconnect: true,
    maxRetries: 4294967295,
    connectionTimeout: 2000,
  });
}

/** Resolves true once connected, false if not within `ms`. Never rejects. */
export function connectCounterClient(client: RedisClient, ms: number): Promise<boolean> {
  if (client.connected) return Promise.resolve(true);
  return withTimeout(client.connect(), ms).then(
    () => true,
    () => false,
  );
}
