import { Cluster } from "ioredis";
import {
  type RedisClusterProcesses,
  redisServersAvailable,
  redisServersRequired,
  startRedisCluster,
} from "../helpers/redis-topology";
import { fleetSuite } from "./fleet-suite";

redisServersRequired();

/**
 * A 6-node Redis Cluster (3 masters, 3 replicas) on ports of 17010-17099 (bus ports + 10000).
 * 17000-17009 stay unused: earlier versions of this file took them fixed and cleared them first.
 */
if (redisServersAvailable) {
  fleetSuite("a Redis Cluster of three masters and three replicas", async () => {
    const cluster: RedisClusterProcesses = await startRedisCluster({
      portRange: [17010, 17099],
      nodes: 6,
      replicas: 1,
      nodeTimeoutMs: 1000,
    });
    const admin = new Cluster(
      cluster.seeds.split(",").map((s) => ({ host: "127.0.0.1", port: Number(s.split(":")[1]) })),
    );
    admin.on("error", () => {});
    return {
      env: { REDIS_CLUSTER_NODES: cluster.seeds },
      count: async (key) => Number((await admin.get(key)) ?? 0),
      killMasterOf: async (key) => (await cluster.masterOf(key)).kill(),
      failedOver: () => cluster.healthy(20_000),
      async stop() {
        admin.disconnect();
        await cluster.stop();
      },
    };
  });
}
