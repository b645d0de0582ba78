import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import Redis from "ioredis";
import { type PortReservation, redisServersAvailable, reservePorts, until } from "../helpers/redis-topology";
import { type ServerProcess, startServer } from "../server/server-process";

/** Redis CPU (user + sys, µs) and script calls so far, from INFO. */
async function redisUsage(redis: Redis): Promise<{ cpuUs: number; scripts: number }> {
  const cpu = await redis.info("cpu");
  const stats = await redis.info("commandstats");
  const field = (text: string, pattern: string) => Number(new RegExp(pattern).exec(text)?.[1] ?? 0);
  return {
    cpuUs: (field(cpu, "used_cpu_user:([\\d.]+)") + field(cpu, "used_cpu_sys:([\\d.]+)")) * 1e6,
    scripts: field(stats, "cmdstat_evalsha:calls=(\\d+)") + field(stats, "cmdstat_eval:calls=(\\d+)"),
  };
}

/**
 * One busy key on a Redis of its own (nothing else talks to it): a server process under load from
 * one client, far from its limit, as the bench's /me. Redis's own idle CPU (its timers, ~1 ms/s)
 * is measured first and taken out: it is not the requests' cost and would dominate at a low rate.
 */
describe.skipIf(!redisServersAvailable)("what a busy key costs Redis", () => {
  let reservation: PortReservation;
  let redisServer: ReturnType<typeof Bun.spawn>;
  let admin: Redis;
  let server: ServerProcess;

  beforeAll(async () => {
    reservation = reservePorts(26420, 26499, 1);
    const port = reservation.ports[0] as number;
    redisServer = Bun.spawn(["redis-server", "--port", String(port), "--bind", "127.0.0.1", "--save", ""], {
      stdout: "ignore",
      stderr: "ignore",
    });
    admin = new Redis({ port, maxRetriesPerRequest: 1, retryStrategy: () => 100 });
    admin.on("error", () => {});
    await until(async () => (await admin.ping()) === "PONG", 5000, "redis-server");
    server = await startServer(
      { NODE_ENV: "test", LOG_FORMAT: "none", REDIS_URL: `redis://127.0.0.1:${port}`, RATE_LIMIT_MAX: "1000000000" },
      { startMs: 20_000 },
    );
  }, 30_000);
  afterAll(async () => {
    await server?.dispose();
    admin?.disconnect();
    redisServer?.kill();
    await redisServer?.exited;
    reservation?.release();
  });

  test("costs Redis at most 0.3 µs of CPU and one script call per hundred requests", async () => {
    const idleStart = await redisUsage(admin);
    await Bun.sleep(1000);
    const idleEnd = await redisUsage(admin);
    const idleUsPerMs = (idleEnd.cpuUs - idleStart.cpuUs) / 1000;

    const before = await redisUsage(admin);
    const started = performance.now();
    let requests = 0;
    const statuses = new Set<number>();
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (performance.now() - started < 3000) {
          // Anonymous: 401, counted under the client's address, one key for every request.
          const response = await fetch(`${server.base}/api/v1/me`);
          await response.arrayBuffer();
          statuses.add(response.status);
          requests++;
        }
      }),
    );
    const elapsedMs = performance.now() - started;
    const after = await redisUsage(admin);

    expect([...statuses]).toEqual([401]);
    expect(requests).toBeGreaterThan(1000);
    const cpuPerRequest = (after.cpuUs - before.cpuUs - idleUsPerMs * elapsedMs) / requests;
    expect(cpuPerRequest).toBeLessThanOrEqual(0.3);
    expect((after.scripts - before.scripts) / requests).toBeLessThan(0.01);
  }, 30_000);
});
