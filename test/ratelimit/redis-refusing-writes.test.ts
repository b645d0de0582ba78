import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import Redis from "ioredis";
import { createMemoryLogger } from "../../src/observability/logger";
import { createRateLimiter, type RateLimiter } from "../../src/ratelimit/limiter";
import type { RedisConnection } from "../../src/redis/client";
import { testConfig } from "../helpers/app";
import { loneRedisServers, redisServersAvailable, redisServersRequired, until } from "../helpers/redis-topology";
import { counterConnection, testPrefix } from "./support";

/**
 * The limiter on a Redis that answers reads but refuses writes: one out of memory under the
 * `noeviction` policy (a managed Redis's default), and a read-only replica (REDIS_URL left on a
 * node that a failover demoted). Real redis-server processes on ports of 26550-26599.
 */
redisServersRequired();

const fallbackWarning = "rate limiter: Redis unavailable, counting in process memory";
const recoveryNotice = "rate limiter: Redis answers again, counting in Redis";
const config = testConfig({ RATE_LIMIT_MAX: "1000000", RATE_LIMIT_WINDOW_MS: "60000" });

describe.skipIf(!redisServersAvailable)("rate limits on a Redis that refuses writes", () => {
  let servers: ReturnType<typeof loneRedisServers>;
  const admins: Redis[] = [];
  const connections: RedisConnection[] = [];
  const limiters: RateLimiter[] = [];

  beforeAll(() => {
    servers = loneRedisServers([26550, 26599], 3);
  });
  afterAll(async () => {
    await Promise.all(limiters.map((l) => l.close()));
    for (const connection of [...connections, ...admins]) connection.disconnect();
    await servers?.stop();
  });

  async function admin(port: number): Promise<Redis> {
    const client = new Redis({ host: "127.0.0.1", port, maxRetriesPerRequest: 0 });
    client.on("error", () => {});
    admins.push(client);
    await until(() => client.ping().then(() => true), 5000, `redis on ${port}`);
    return client;
  }

  async function limiterOn(port: number) {
    const logger = createMemoryLogger();
    const redis = await counterConnection(`redis://127.0.0.1:${port}`);
    connections.push(redis);
    const prefix = testPrefix();
    const limiter = createRateLimiter({ config, redis, logger, prefix, probeIntervalMs: 50 });
    limiters.push(limiter);
    const said = (msg: string) => logger.lines.filter((line) => line.msg === msg).length;
    return { limiter, prefix, said };
  }

  /** 10 clients at once, every 5 ms, for `ms`: each request admitted. */
  async function traffic(limiter: RateLimiter, ms: number, tag: string): Promise<number> {
    let sent = 0;
    for (const end = Date.now() + ms; Date.now() < end; sent += 10) {
      const decisions = await Promise.all(
        Array.from({ length: 10 }, (_, i) => limiter.consume(`user:${tag}-${i}`, ["general"])),
      );
      expect(decisions.every((d) => d.allowed)).toBe(true);
      await Bun.sleep(5);
    }
    return sent;
  }

  test("out of memory under noeviction: counts in memory without flapping, and in Redis again once it has room", async () => {
    const port = servers.ports[0] as number;
    servers.start(port, ["--maxmemory-policy", "noeviction"]);
    const redis = await admin(port);
    const { limiter, prefix, said } = await limiterOn(port);
    await traffic(limiter, 100, "before");
    expect(limiter.storeState()).toBe("redis");

    // Past maxmemory (its data kept, the limit lowered under it): writes are refused with OOM,
    // reads still answer.
    await redis.set("filler", "x".repeat(2_000_000));
    await redis.config("SET", "maxmemory", "1mb");
    expect(await redis.set("one-more", "x").catch((error: Error) => error.message)).toMatch(/^OOM/);
    expect((await redis.get("filler"))?.length).toBe(2_000_000);

    await traffic(limiter, 1500, "full");
    expect(limiter.storeState()).toBe("memory");
    // Once, not once per probe: the probe writes, as a count does, so a read-only answer is no recovery.
    expect(said(fallbackWarning)).toBe(1);
    expect(said(recoveryNotice)).toBe(0);

    await redis.config("SET", "maxmemory", "0");
    await until(async () => limiter.storeState() === "redis", 2000, "the limiter back on Redis");
    await traffic(limiter, 100, "after");
    expect(Number(await redis.get(`${prefix}general:{user:after-0}`))).toBeGreaterThan(0);
    expect(said(fallbackWarning)).toBe(1);
    expect(said(recoveryNotice)).toBe(1);
  }, 20_000);

  test("a read-only replica: counts in memory without flapping, and in Redis once it is promoted", async () => {
    const [, masterPort, replicaPort] = servers.ports as [number, number, number];
    // Sync at once: by default a diskless full sync waits 5 s for more replicas.
    servers.start(masterPort, ["--repl-diskless-sync-delay", "0"]);
    await admin(masterPort);
    servers.start(replicaPort, ["--replicaof", "127.0.0.1", String(masterPort)]);
    const replica = await admin(replicaPort);
    await until(async () => (await replica.info("replication")).includes("master_link_status:up"), 5000, "the sync");

    const { limiter, prefix, said } = await limiterOn(replicaPort);
    await traffic(limiter, 1000, "on-replica");
    expect(limiter.storeState()).toBe("memory");
    expect(said(fallbackWarning)).toBe(1);
    expect(said(recoveryNotice)).toBe(0);

    // What a failover does to it: promoted, it takes writes.
    await replica.replicaof("NO", "ONE");
    await until(async () => limiter.storeState() === "redis", 2000, "the limiter back on Redis");
    await traffic(limiter, 100, "promoted");
    expect(Number(await replica.get(`${prefix}general:{user:promoted-0}`))).toBeGreaterThan(0);
    expect(said(recoveryNotice)).toBe(1);
  }, 20_000);
});
