import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createMemoryLogger } from "../../src/observability/logger";
import type { RedisConnection } from "../../src/redis/client";
import { closeRedis, createRedis, waitForRedis } from "../../src/redis/client";
import { createReplyDeadline } from "../../src/redis/deadline";
import { startFaultProxy } from "../helpers/fault-proxy";
import { redisAvailable, redisUrl } from "./support";

function blockEventLoop(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // Busy on purpose: a burst of synchronous work, as a cold process under load does.
  }
}

describe.skipIf(!redisAvailable)("Redis reply deadline", () => {
  test("gives up on a Redis that keeps the connection but stops answering, after about 50 ms", async () => {
    const proxy = await startFaultProxy("127.0.0.1", Number(new URL(redisUrl).port || 6379));
    const stalled = createRedis(`redis://127.0.0.1:${proxy.port}`, createMemoryLogger());
    expect(await waitForRedis(stalled, 2000)).toBe(true);
    proxy.blackhole();
    const deadline = createReplyDeadline(50);
    const started = performance.now();
    await expect(deadline(stalled.ping())).rejects.toThrow("timed out after 50 ms");
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThanOrEqual(45);
    expect(waited).toBeLessThan(200);
    stalled.disconnect();
    await proxy.close();
  });

  describe("with a Redis that answers", () => {
    let redis: RedisConnection;
    beforeAll(async () => {
      redis = createRedis(redisUrl, createMemoryLogger());
      await waitForRedis(redis, 2000);
    });
    afterAll(() => closeRedis(redis));

    test("does not mistake a busy event loop for a silent Redis", async () => {
      const deadline = createReplyDeadline(50);
      const replies = Array.from({ length: 20 }, () => deadline(redis.ping()));
      blockEventLoop(150);
      expect(await Promise.all(replies)).toEqual(new Array(20).fill("PONG"));
    });
  });
});
