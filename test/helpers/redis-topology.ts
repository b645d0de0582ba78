import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import Redis from "ioredis";

/**
 * Real Redis deployments on loopback for the tests and the bench: a Redis Cluster of
 * `redis-server --cluster-enabled yes` processes joined by `redis-cli --cluster create`, and a
 * Sentinel set (a master, its replica, three `redis-sentinel`), on ports reserved in a range the
 * caller owns (the Cluster's bus port is the port + 10000): several test runs on one machine (CI,
 * other worktrees) take different ports of the range instead of meeting on the same ones.
 */
export interface RedisNodeProcess {
  port: number;
  child: Subprocess;
  /** SIGKILL: the node is gone at once, as when its machine dies. */
  kill(): Promise<void>;
}

const host = "127.0.0.1";

/** A CLUSTER SLOTS entry: first slot, last slot, then its master [host, port, id]. */
type SlotRange = [number, number, [string, number]];

/** Whether this machine can start Redis servers (Debian's redis-server, redis-sentinel, redis-cli). */
export const redisServersAvailable = ["redis-server", "redis-sentinel", "redis-cli"].every((c) => Bun.which(c));

export function redisServersRequired(): void {
  if (!redisServersAvailable && process.env.CI)
    throw new Error("redis-server, redis-sentinel and redis-cli are required under CI");
}

function spawnNode(command: string, args: string[], port: number): RedisNodeProcess {
  const child = Bun.spawn([command, ...args], { stdin: "ignore", stdout: "ignore", stderr: "pipe" });
  return {
    port,
    child,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await child.exited;
    },
  };
}

const lockDir = join(tmpdir(), "revenue-api-redis-ports");

export interface PortReservation {
  ports: number[];
  release(): void;
}

/** Whether the process that wrote a lock file still runs. */
function lockHeld(path: string): boolean {
  try {
    process.kill(Number(readFileSync(path, "utf8")), 0);
    return true;
  } catch {
    return false;
  }
}

function portFree(port: number): boolean {
  try {
    Bun.listen({ hostname: host, port, socket: { data() {} } }).stop(true);
    return true;
  } catch {
    return false;
  }
}

/**
 * `count` consecutive ports of [from, to] that no other run holds (a lock file per port with the
 * owner's pid; a dead owner's lock is taken over) and nothing listens on (nor on port + busOffset).
 */
export function reservePorts(from: number, to: number, count: number, busOffset = 0): PortReservation {
  mkdirSync(lockDir, { recursive: true });
  for (let first = from; first + count - 1 <= to; first += count) {
    const taken: string[] = [];
    const release = () => {
      for (const path of taken) rmSync(path, { force: true });
    };
    const ports = Array.from({ length: count }, (_, i) => first + i);
    const ok = ports.every((port) => {
      const path = join(lockDir, `${port}.lock`);
      try {
        closeSync(openSync(path, "wx"));
      } catch {
        if (lockHeld(path)) return false;
        unlinkSync(path);
        closeSync(openSync(path, "wx"));
      }
      writeFileSync(path, String(process.pid));
      taken.push(path);
      return portFree(port) && (busOffset === 0 || portFree(port + busOffset));
    });
    if (ok) return { ports, release };
    release();
  }
  throw new Error(`no ${count} free ports left in ${from}-${to}`);
}

/**
 * Lone redis-server processes on `count` reserved ports of `range`, each started with arguments of
 * its own (a command renamed away, a memory limit, `--replicaof`), their files (a replica's copy of
 * its master's snapshot) in a temporary directory. `stop` kills them and gives the ports back.
 */
export function loneRedisServers(range: [number, number], count: number) {
  const reservation = reservePorts(range[0], range[1], count);
  const dir = mkdtempSync(join(tmpdir(), "redis-lone-"));
  const nodes: RedisNodeProcess[] = [];
  return {
    ports: reservation.ports,
    start(port: number, args: string[] = []): RedisNodeProcess {
      const node = spawnNode("redis-server", [...serverArgs(port, dir), ...args], port);
      nodes.push(node);
      return node;
    },
    async stop(): Promise<void> {
      await Promise.all(nodes.map((node) => node.kill()));
      reservation.release();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function until(condition: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await condition().catch(() => false)) return;
    await Bun.sleep(50);
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}

async function ask<T>(port: number, run: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis({ host, port, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  redis.on("error", () => {});
  try {
    await redis.connect();
    return await run(redis);
  } finally {
    redis.disconnect();
  }
}

const serverArgs = (port: number, dir: string) => [
  "--port",
  String(port),
  "--bind",
  host,
  "--save",
  "",
  "--appendonly",
  "no",
  "--dir",
  dir,
];

export interface RedisClusterProcesses {
  nodes: RedisNodeProcess[];
  /** Seed nodes as REDIS_CLUSTER_NODES wants them. */
  seeds: string;
  /** The node serving `key`'s slot as master right now. */
  masterOf(key: string): Promise<RedisNodeProcess>;
  /** Resolves once every slot has a master that answers and the cluster says ok everywhere alive. */
  healthy(ms?: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A Redis Cluster on `ports` (masters first: with `replicas` 1, half the ports become replicas).
 * `nodeTimeoutMs` is cluster-node-timeout: how long a silent master lasts before its replica
 * takes over.
 */
export async function startRedisCluster(options: {
  /** The range to take ports from (inclusive). */
  portRange: [number, number];
  nodes: number;
  replicas: 0 | 1;
  nodeTimeoutMs?: number;
  /** More redis-server arguments for the node at `index` (of `ports`): a mixed cluster. */
  nodeArgs?: (index: number) => string[];
}): Promise<RedisClusterProcesses> {
  const dir = mkdtempSync(join(tmpdir(), "redis-cluster-"));
  const reservation = reservePorts(options.portRange[0], options.portRange[1], options.nodes, 10_000);
  const ports = reservation.ports;
  const nodes = ports.map((port, index) =>
    spawnNode(
      "redis-server",
      [
        ...serverArgs(port, dir),
        ...(options.nodeArgs?.(index) ?? []),
        "--cluster-enabled",
        "yes",
        "--cluster-config-file",
        `nodes-${port}.conf`,
        "--cluster-node-timeout",
        String(options.nodeTimeoutMs ?? 1000),
        // A replica takes over however long it has been since it last heard its master.
        "--cluster-replica-validity-factor",
        "0",
      ],
      port,
    ),
  );
  const stop = async () => {
    await Promise.all(nodes.map((n) => n.kill()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await Promise.all(
      nodes.map((n) => until(() => ask(n.port, (r) => r.ping()).then(() => true), 5000, `redis ${n.port}`)),
    );
    const create = Bun.spawn(
      [
        "redis-cli",
        "--cluster",
        "create",
        ...ports.map((p) => `${host}:${p}`),
        "--cluster-replicas",
        String(options.replicas),
        "--cluster-yes",
      ],
      { stdout: "pipe", stderr: "pipe" },
    );
    if ((await create.exited) !== 0) {
      throw new Error(`redis-cli --cluster create failed: ${await new Response(create.stdout).text()}`);
    }
  } catch (error) {
    await stop();
    throw error;
  }

  const alive = () => nodes.filter((n) => n.child.exitCode === null && n.child.signalCode === null);
  const cluster: RedisClusterProcesses = {
    nodes,
    seeds: ports.map((p) => `${host}:${p}`).join(","),
    async masterOf(key) {
      const first = alive()[0] as RedisNodeProcess;
      const slot = await ask(first.port, (r) => r.cluster("KEYSLOT", key));
      const ranges = (await ask(first.port, (r) => r.cluster("SLOTS"))) as unknown as SlotRange[];
      const owner = ranges.find(([from, to]) => slot >= from && slot <= to);
      const node = nodes.find((n) => n.port === owner?.[2][1]);
      if (!node) throw new Error(`no master for slot ${slot}`);
      return node;
    },
    async healthy(ms = 20_000) {
      await until(
        async () => {
          const states = await Promise.all(alive().map((n) => ask(n.port, (r) => r.cluster("INFO"))));
          if (!states.every((s) => String(s).includes("cluster_state:ok"))) return false;
          const first = alive()[0] as RedisNodeProcess;
          const ranges = (await ask(first.port, (r) => r.cluster("SLOTS"))) as unknown as SlotRange[];
          const live = new Set(alive().map((n) => n.port));
          const covered = ranges.reduce(
            (sum, [from, to, master]) => sum + (live.has(master[1]) ? to - from + 1 : 0),
            0,
          );
          return covered === 16384;
        },
        ms,
        "a healthy cluster",
      );
    },
    stop,
  };
  await cluster.healthy();
  // A replica that has not synced yet could not take over: wait for every link to be up.
  await until(
    async () => {
      const roles = await Promise.all(nodes.map((n) => ask(n.port, (r) => r.info("replication"))));
      const replicas = roles.filter((r) => r.includes("role:slave"));
      return (
        replicas.length === (options.replicas ? nodes.length / 2 : 0) &&
        replicas.every((r) => r.includes("master_link_status:up"))
      );
    },
    15_000,
    "the replicas to sync",
  );
  return cluster;
}

export interface RedisSentinelProcesses {
  master: RedisNodeProcess;
  replica: RedisNodeProcess;
  sentinels: RedisNodeProcess[];
  /** As REDIS_SENTINELS wants them. */
  seeds: string;
  masterName: string;
  /** The port the sentinels name as master now. */
  currentMasterPort(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * One master, one replica and three sentinels (quorum 2). `downAfterMs` is how long the master
 * may be silent before the sentinels fail over to the replica.
 */
export async function startRedisSentinel(options: {
  /** The range to take five ports from (inclusive): master, replica, three sentinels. */
  portRange: [number, number];
  downAfterMs?: number;
}): Promise<RedisSentinelProcesses> {
  const dir = mkdtempSync(join(tmpdir(), "redis-sentinel-"));
  const masterName = "revenue";
  const reservation = reservePorts(options.portRange[0], options.portRange[1], 5);
  const [masterPort, replicaPort, ...sentinelPorts] = reservation.ports as [number, number, number, number, number];
  const master = spawnNode("redis-server", serverArgs(masterPort, dir), masterPort);
  const replica = spawnNode(
    "redis-server",
    [...serverArgs(replicaPort, dir), "--replicaof", host, String(masterPort)],
    replicaPort,
  );
  const sentinels = sentinelPorts.map((port) => {
    const file = join(dir, `sentinel-${port}.conf`);
    writeFileSync(
      file,
      [
        `port ${port}`,
        `bind ${host}`,
        `dir ${dir}`,
        `sentinel monitor ${masterName} ${host} ${masterPort} 2`,
        `sentinel down-after-milliseconds ${masterName} ${options.downAfterMs ?? 1000}`,
        `sentinel failover-timeout ${masterName} 10000`,
        `sentinel parallel-syncs ${masterName} 1`,
        "",
      ].join("\n"),
    );
    return spawnNode("redis-sentinel", [file], port);
  });
  const processes = [master, replica, ...sentinels];
  const stop = async () => {
    await Promise.all(processes.map((n) => n.kill()));
    rmSync(dir, { recursive: true, force: true });
    reservation.release();
  };
  const currentMasterPort = async () => {
    const live = sentinels.find((s) => s.child.exitCode === null) as RedisNodeProcess;
    const reply = (await ask(live.port, (r) => r.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", masterName))) as string[];
    return Number(reply[1]);
  };
  try {
    await Promise.all(
      processes.map((n) => until(() => ask(n.port, (r) => r.ping()).then(() => true), 5000, `redis ${n.port}`)),
    );
    await until(
      async () => (await ask(replicaPort, (r) => r.info("replication"))).includes("master_link_status:up"),
      10_000,
      "the replica to sync",
    );
    // Every sentinel has found the replica and the other sentinels (a failover needs them).
    await until(
      async () => {
        const views = await Promise.all(
          sentinels.map((s) => ask(s.port, (r) => r.call("SENTINEL", "MASTER", masterName)) as Promise<string[]>),
        );
        return views.every((v) => {
          const field = (name: string) => Number(v[v.indexOf(name) + 1]);
          return field("num-slaves") >= 1 && field("num-other-sentinels") >= 2;
        });
      },
      15_000,
      "the sentinels to know each other",
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    master,
    replica,
    sentinels,
    seeds: sentinelPorts.map((p) => `${host}:${p}`).join(","),
    masterName,
    currentMasterPort,
    stop,
  };
}
