/**
 * npm run bench:redis-cost -- [--seconds=5] [--connections=64] [--before=/path/to/old/tree]
 *
 * What one API request costs Redis: CPU µs (`INFO cpu`, user + sys, summed over the nodes that
 * serve) and commands (`INFO commandstats`: script calls the API sent, and the commands those
 * scripts ran), on Redis servers of its own that nothing else uses (one on a port of 26400-26499, a Cluster
 * of three masters on ports of 17000-17099), for two loads: (a) one busy key, the bench's `GET /api/v1/me`
 * of one user; (b) 10,000 distinct clients (anonymous requests from 10,000 forwarded addresses,
 * each counted under its own key, as 10,000 principals would be). Variants: leasing on (the
 * default), RATE_LIMIT_LEASING=false, and, with --before, another checkout on the single Redis.
 */
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import Redis from "ioredis";
import { redisServersAvailable, reservePorts, startRedisCluster, until } from "../test/helpers/redis-topology";
import { type RunningServer, startServer } from "./api-server";
import { apiEnvironment, assertReady, obtainCredentials } from "./api-session";
import { createBenchDatabase, seedBenchDatabase } from "./database";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    seconds: { type: "string", default: "5" },
    connections: { type: "string", default: "64" },
    before: { type: "string" },
  },
  strict: true,
});
if (!redisServersAvailable) throw new Error("needs redis-server and redis-cli on PATH");
const seconds = Number(values.seconds);
const connections = Number(values.connections);
const stamp = `rcost-${Date.now().toString(36)}`;
const say = (line: string) => process.stderr.write(`${line}\n`);

interface NodeSample {
  cpuUs: number;
  scripts: number;
  inner: number;
  byCommand: Map<string, number>;
}

async function sample(ports: number[]): Promise<NodeSample> {
  const total = { cpuUs: 0, scripts: 0, inner: 0, byCommand: new Map<string, number>() };
  for (const port of ports) {
    const redis = new Redis({ host: "127.0.0.1", port, maxRetriesPerRequest: 1 });
    const cpu = await redis.info("cpu");
    const stats = await redis.info("commandstats");
    redis.disconnect();
    const field = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(cpu)?.[1] ?? 0);
    total.cpuUs += (field("used_cpu_user") + field("used_cpu_sys")) * 1e6;
    for (const [, name = "", calls = "0"] of stats.matchAll(/cmdstat_([a-z|]+):calls=(\d+)/g)) {
      // INFO itself is this script's; scripts count once as eval/evalsha and again per inner command.
      if (name === "info") continue;
      total.byCommand.set(name, (total.byCommand.get(name) ?? 0) + Number(calls));
      if (name === "eval" || name === "evalsha") total.scripts += Number(calls);
      else total.inner += Number(calls);
    }
  }
  return total;
}

/** `connections` loops of one request after another for `seconds`; returns how many were answered. */
async function load(base: string, request: (i: number) => RequestInit, ms: number): Promise<Map<number, number>> {
  const statuses = new Map<number, number>();
  const end = performance.now() + ms;
  let n = 0;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < end) {
        const response = await fetch(`${base}/api/v1/me`, request(n++));
        await response.arrayBuffer();
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      }
    }),
  );
  return statuses;
}

const address = (i: number) => {
  const k = i % 10_000;
  return `10.${Math.floor(k / 250)}.${k % 250}.7`;
};

interface Row {
  topology: string;
  variant: string;
  scenario: string;
  requests: number;
  rps: number;
  cpuUsPerRequest: number;
  scriptsPerRequest: number;
  innerPerRequest: number;
  fellBack: boolean;
}

const fallbacks = (server: RunningServer) =>
  server.stderrTail(10_000).split("rate limiter: Redis unavailable").length - 1;

const rows: Row[] = [];
const database = await createBenchDatabase(
  process.env.BENCH_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres",
  stamp.replaceAll("-", "_"),
);
const singlePort = reservePorts(26400, 26499, 1);
const port = singlePort.ports[0] as number;
const single = Bun.spawn(
  ["redis-server", "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
  { stdout: "ignore", stderr: "inherit" },
);
const cluster = await startRedisCluster({ portRange: [17000, 17099], nodes: 3, replicas: 0 });
const clusterPorts = cluster.nodes.map((n) => n.port);
try {
  await until(
    async () => {
      const probe = new Redis({ port, retryStrategy: () => null, maxRetriesPerRequest: 0 });
      probe.on("error", () => {});
      try {
        return (await probe.ping()) === "PONG";
      } finally {
        probe.disconnect();
      }
    },
    5000,
    `redis on ${port}`,
  );
  const accounts = await seedBenchDatabase(database.url, 100);
  const topologies: Array<{ name: string; ports: number[]; env: Record<string, string> }> = [
    { name: "single Redis", ports: [port], env: { REDIS_URL: `redis://127.0.0.1:${port}` } },
    {
      name: "Cluster, 3 masters",
      ports: clusterPorts,
      env: { REDIS_CLUSTER_NODES: cluster.seeds, REDIS_URL: "" },
    },
  ];
  for (const topology of topologies) {
    const variants: Array<{ label: string; env: Record<string, string>; tree?: string }> = [
      { label: "leasing on", env: {} },
      { label: "leasing off", env: { RATE_LIMIT_LEASING: "false" } },
    ];
    if (values.before && topology.ports.length === 1) variants.push({ label: "before", env: {}, tree: values.before });
    for (const variant of variants) {
      const env: Record<string, string> = {
        ...apiEnvironment({ databaseUrl: database.url, redisUrl: "", stamp }),
        ...topology.env,
        ...variant.env,
        TRUST_PROXY: "1",
        LOG_FORMAT: "none",
      };
      for (const [key, value] of Object.entries(env)) if (value === "") delete env[key];
      const server: RunningServer = await startServer({
        mode: "single",
        env,
        cwd: variant.tree,
        logDir: join(tmpdir(), stamp),
        label: `${topology.name}-${variant.label}`.replace(/[^a-z0-9]+/gi, "-"),
      });
      try {
        await assertReady(server.base);
        const credentials = await obtainCredentials(server.base, accounts);
        const scenarios = [
          {
            id: "a: one busy key (GET /me, one user)",
            request: () => ({ headers: { authorization: `Bearer ${credentials.accessToken}` } }),
          },
          {
            id: "b: 10,000 distinct clients",
            request: (i: number) => ({ headers: { "x-forwarded-for": address(i) } }),
          },
        ];
        for (const scenario of scenarios) {
          await load(server.base, scenario.request, 1000);
          const fallbacksBefore = fallbacks(server);
          const before = await sample(topology.ports);
          const started = performance.now();
          const statuses = await load(server.base, scenario.request, seconds * 1000);
          const elapsed = (performance.now() - started) / 1000;
          const after = await sample(topology.ports);
          const requests = [...statuses.values()].reduce((a, b) => a + b, 0);
          // A run in which the limiter fell back to memory (a loaded machine) undercounts Redis.
          const fellBack = fallbacks(server) > fallbacksBefore;
          const row = {
            topology: topology.name,
            variant: variant.label,
            scenario: scenario.id,
            requests,
            rps: requests / elapsed,
            cpuUsPerRequest: (after.cpuUs - before.cpuUs) / requests,
            scriptsPerRequest: (after.scripts - before.scripts) / requests,
            innerPerRequest: (after.inner - before.inner) / requests,
            fellBack,
          };
          rows.push(row);
          say(
            `${row.topology} | ${row.variant} | ${row.scenario}: ${Math.round(row.rps)} req/s, ` +
              `${row.cpuUsPerRequest.toFixed(3)} µs Redis CPU/req, ${row.scriptsPerRequest.toFixed(4)} script calls/req, ` +
              `${row.innerPerRequest.toFixed(3)} commands inside/req, statuses ${JSON.stringify(Object.fromEntries(statuses))}, ` +
              `commands ${[...after.byCommand].map(([name, calls]) => `${name} ${calls - (before.byCommand.get(name) ?? 0)}`).join(", ")}`,
          );
        }
      } finally {
        await server.stop();
      }
    }
  }
} finally {
  single.kill();
  await single.exited;
  singlePort.release();
  await cluster.stop();
  await database.drop();
}

say(
  "\n| Redis | variant | load | req/s | Redis CPU µs/req | script calls/req | commands in scripts/req | fell back to memory |",
);
say("|---|---|---|---|---|---|---|---|");
for (const r of rows) {
  say(
    `| ${r.topology} | ${r.variant} | ${r.scenario} | ${Math.round(r.rps)} | ${r.cpuUsPerRequest.toFixed(2)} | ${r.scriptsPerRequest.toFixed(4)} | ${r.innerPerRequest.toFixed(2)} | ${r.fellBack ? "yes: discard" : "no"} |`,
  );
}
