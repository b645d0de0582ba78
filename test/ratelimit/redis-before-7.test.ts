import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import Redis, { Cluster } from "ioredis";
import { createMemoryLogger } from "../../src/observability/logger";
import { createRateLimiter, type RateLimiter } from "../../src/ratelimit/limiter";
import type { RedisConnection } from "../../src/redis/client";
import { testConfig } from "../helpers/app";
import {
  loneRedisServers,
  type RedisClusterProcesses,
  redisServersAvailable,
  redisServersRequired,
  startRedisCluster,
  until,
} from "../helpers/redis-topology";
import { counterConnection, testPrefix } from "./support";

/**
 * The limiter on Redis servers without PEXPIRETIME, which came in Redis 7.0 (managed services
 * still offer 6.x). Debian ships Redis 7 only, so real redis-server 7 processes run with the
 * command renamed away: a call, or a script's call, of it then fails with "unknown command", as
 * on Redis 6 (whose wording differs only around those words). Ports 26550-26599 for single
 * servers, 17100-17199 for the mixed cluster.
 */
redisServersRequired();

const leasingOff =
  "rate limiter: Redis has no PEXPIRETIME (Redis before 7), leasing is off: every request is counted in Redis";
const fallbackWarning = "rate limiter: Redis unavailable, counting in process memory";
const withoutPexpiretime = ["--rename-command", "PEXPIRETIME", ""];
// Far from the limit: a client the limiter leases slices to once it is busy.
const busy = { RATE_LIMIT_MAX: "1000000", RATE_LIMIT_WINDOW_MS: "60000" };

async function answering(port: number): Promise<void> {
  const probe = new Redis({ host: "127.0.0.1", port, lazyConnect: true, maxRetriesPerRequest: 0 });
  probe.on("error", () => {});
  try {
    await until(() => probe.ping().then(() => true), 5000, `redis on ${port}`);
  } finally {
    probe.disconnect();
  }
}

/** 20 requests at once for `key`, `rounds` times; every one of them must be admitted. */
async function busyRounds(limiter: RateLimiter, key: string, rounds: number, after?: (round: number) => Promise<void>) {
  for (let round = 0; round < rounds; round++) {
    const decisions = await Promise.all(Array.from({ length: 20 }, () => limiter.consume(key, ["general"])));
    expect(decisions.every((d) => d.allowed)).toBe(true);
    await after?.(round);
  }
}

describe.skipIf(!redisServersAvailable)("rate limits on a Redis before 7 (no PEXPIRETIME)", () => {
  let servers: ReturnType<typeof loneRedisServers>;
  const connections: RedisConnection[] = [];
  const limiters: RateLimiter[] = [];
  const admins: Redis[] = [];

  beforeAll(() => {
    servers = loneRedisServers([26550, 26599], 2);
  });
  afterAll(async () => {
    await Promise.all(limiters.map((l) => l.close()));
    for (const connection of [...connections, ...admins]) connection.disconnect();
    await servers?.stop();
  });

  async function limiterOn(port: number) {
    const logger = createMemoryLogger();
    const redis = await counterConnection(`redis://127.0.0.1:${port}`);
    connections.push(redis);
    const prefix = testPrefix();
    const limiter = createRateLimiter({ config: testConfig(busy), redis, logger, prefix, probeIntervalMs: 50 });
    limiters.push(limiter);
    const admin = new Redis({ host: "127.0.0.1", port });
    admins.push(admin);
    const said = (msg: string) => logger.lines.filter((line) => line.msg === msg).length;
    return { limiter, logger, prefix, admin, said };
  }

  test("turns leasing off as it connects, and counts a busy client in Redis request by request", async () => {
    const port = servers.ports[0] as number;
    servers.start(port, withoutPexpiretime);
    await answering(port);
    const { limiter, prefix, admin, said } = await limiterOn(port);
    await until(async () => said(leasingOff) === 1, 2000, "the leasing check");

    const key = "user:busy-on-6";
    await busyRounds(limiter, key, 15, async (round) => {
      // Exactly the requests so far: no slice taken ahead, none counted in memory instead.
      expect(await admin.get(`${prefix}general:{${key}}`)).toBe(String((round + 1) * 20));
    });
    expect(limiter.storeState()).toBe("redis");
    expect(said(fallbackWarning)).toBe(0);
    expect(said(leasingOff)).toBe(1);
  });

  test("a Redis 7 replaced by one without PEXPIRETIME: leasing stops when it reconnects, counts stay in Redis", async () => {
    const port = servers.ports[1] as number;
    const redis7 = servers.start(port);
    await answering(port);
    const { limiter, prefix, admin, said } = await limiterOn(port);
    const key = "user:busy-across-versions";
    const counter = `${prefix}general:{${key}}`;
    await busyRounds(limiter, key, 15);
    // On Redis 7 a busy client is leased slices: Redis has counted ahead of what was admitted.
    expect(Number(await admin.get(counter))).toBeGreaterThan(300);
    expect(said(leasingOff)).toBe(0);

    await redis7.kill();
    servers.start(port, withoutPexpiretime);
    await until(async () => said(leasingOff) === 1 && limiter.storeState() === "redis", 10_000, "the reconnection");

    await busyRounds(limiter, key, 15, async (round) => {
      expect(await admin.get(counter)).toBe(String((round + 1) * 20));
    });
    expect(limiter.storeState()).toBe("redis");
    expect(said(leasingOff)).toBe(1);
  }, 20_000);
});

describe.skipIf(!redisServersAvailable)("rate limits on a Redis Cluster midway through an upgrade to 7", () => {
  let cluster: RedisClusterProcesses;
  let admin: Cluster;
  let connection: RedisConnection | undefined;
  let limiter: RateLimiter | undefined;
  // The third master still runs a Redis without PEXPIRETIME.
  const olderNode = 2;

  beforeAll(async () => {
    cluster = await startRedisCluster({
      portRange: [17100, 17199],
      nodes: 3,
      replicas: 0,
      nodeArgs: (index) => (index === olderNode ? withoutPexpiretime : []),
    });
    admin = new Cluster(cluster.seeds.split(",").map((s) => ({ host: "127.0.0.1", port: Number(s.split(":")[1]) })));
    admin.on("error", () => {});
  }, 30_000);
  afterAll(async () => {
    await limiter?.close();
    connection?.disconnect();
    admin?.disconnect();
    await cluster?.stop();
  });

  test("a grant on the older master comes back without its window: leasing stops, every client is counted in Redis", async () => {
    const olderPort = Number(cluster.seeds.split(",")[olderNode]?.split(":")[1]);
    const onOlder = async (key: string) => (await cluster.masterOf(key)).port === olderPort;
    // The limiter's check at connection asks the probe key's master: one on Redis 7, so leasing starts on.
    let prefix = testPrefix();
    while (await onOlder(`${prefix}probe`)) prefix = testPrefix();
    let key = "";
    for (let i = 0; !key; i++) if (await onOlder(`${prefix}general:{user:mixed-${i}}`)) key = `user:mixed-${i}`;

    const logger = createMemoryLogger();
    const nodes = cluster.seeds.split(",").map((s) => ({ host: "127.0.0.1", port: Number(s.split(":")[1]) }));
    connection = await counterConnection({ kind: "cluster", nodes, tls: false });
    limiter = createRateLimiter({ config: testConfig(busy), redis: connection, logger, prefix, probeIntervalMs: 50 });
    const said = (msg: string) => logger.lines.filter((line) => line.msg === msg).length;
    await Bun.sleep(200);
    expect(said(leasingOff)).toBe(0);

    const counter = `${prefix}general:{${key}}`;
    await busyRounds(limiter, key, 15);
    expect(said(leasingOff)).toBe(1);
    expect(said(fallbackWarning)).toBe(0);
    expect(limiter.storeState()).toBe("redis");
    // Every request counted in Redis, and the one slice granted there before leasing stopped,
    // unused: at most about a sixteenth of the limit.
    const counted = Number(await admin.get(counter));
    expect(counted).toBeGreaterThanOrEqual(300);
    expect(counted).toBeLessThanOrEqual(300 + 1_000_000 / 16);
    const before = counted;
    await busyRounds(limiter, key, 5);
    expect(Number(await admin.get(counter))).toBe(before + 100);
    // A client on a Redis 7 master is now counted request by request too.
    let other = "";
    for (let i = 0; !other; i++) if (!(await onOlder(`${prefix}general:{user:newer-${i}}`))) other = `user:newer-${i}`;
    await busyRounds(limiter, other, 10, async (round) => {
      expect(await admin.get(`${prefix}general:{${other}}`)).toBe(String((round + 1) * 20));
    });
    expect(said(fallbackWarning)).toBe(0);
  }, 30_000);
});
