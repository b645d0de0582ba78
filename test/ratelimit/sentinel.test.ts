import Redis from "ioredis";
import { redisServersAvailable, redisServersRequired, startRedisSentinel, until } from "../helpers/redis-topology";
import { fleetSuite } from "./fleet-suite";

redisServersRequired();

/** A master, its replica and three sentinels (quorum 2) on ports of 26420-26499 (26400-26419: see cluster.test.ts). */
if (redisServersAvailable) {
  fleetSuite("Redis Sentinel (a master, a replica, three sentinels)", async () => {
    const set = await startRedisSentinel({
      portRange: [26420, 26499],
      downAfterMs: 1000,
    });
    const admin = new Redis({
      sentinels: set.seeds.split(",").map((s) => ({ host: "127.0.0.1", port: Number(s.split(":")[1]) })),
      name: set.masterName,
    });
    // Its reconnects while the master is gone are expected here.
    admin.on("error", () => {});
    return {
      env: { REDIS_SENTINELS: set.seeds, REDIS_SENTINEL_MASTER: set.masterName },
      count: async (key) => Number((await admin.get(key)) ?? 0),
      // One master holds every key.
      killMasterOf: () => set.master.kill(),
      failedOver: () =>
        until(
          async () => (await set.currentMasterPort()) === set.replica.port,
          20_000,
          "the sentinels to promote the replica",
        ),
      async stop() {
        admin.disconnect();
        await set.stop();
      },
    };
  });
}
