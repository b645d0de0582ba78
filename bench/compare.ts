/**
 * npm run bench:compare -- [--scenario=me-jwt] [--rounds=5] [--seconds=3] VARIANT...
 *
 * A/B runs: every variant of the API is started side by side (same database, Redis, secrets and
 * credentials), then the load alternates between them, round after round, and the server CPU µs
 * per request of each is compared. Throughput on a shared machine says more about the machine
 * than about the code; CPU per request, alternated, does not (see docs/performance.md).
 *
 * VARIANT is `label[@tree][:KEY=VALUE,...]`: `head`, `before@/tmp/old-checkout`,
 * `nolog:LOG_FORMAT=none,USAGE_TRACKING=false` (an empty value removes a setting).
 */
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import Redis from "ioredis";
import { type RunningServer, startServer } from "./api-server";
import { apiEnvironment, assertReady, deleteRedisKeys, obtainCredentials } from "./api-session";
import { createBenchDatabase, seedBenchDatabase } from "./database";
import { createGenerator } from "./generator";
import { canPin } from "./processes";
import { apiScenarios } from "./scenarios";
import { threadCpu } from "./stalls";
import { parseVariant } from "./variant";

const { values, positionals } = parseArgs({
  args: process.argv.slice(2),
  options: {
    scenario: { type: "string", default: "me-jwt" },
    rounds: { type: "string", default: "5" },
    seconds: { type: "string", default: "3" },
    connections: { type: "string", default: "50" },
  },
  allowPositionals: true,
  strict: true,
});
const variants = (positionals.length > 0 ? positionals : ["head"]).map(parseVariant);
const rounds = Number(values.rounds);
const seconds = Number(values.seconds);
const say = (line: string) => process.stderr.write(`${line}\n`);
const stamp = `compare-${Date.now().toString(36)}`;
const pin = canPin();
const generator = await createGenerator({ cpu: pin ? "1" : undefined });
const database = await createBenchDatabase(
  process.env.BENCH_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres",
  stamp.replaceAll("-", "_"),
);
const redisUrl = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379";
const servers: RunningServer[] = [];
const samples = new Map<string, Array<{ us: number; rps: number }>>();

try {
  const accounts = await seedBenchDatabase(database.url, 3000);
  const env = apiEnvironment({ databaseUrl: database.url, redisUrl, stamp });
  for (const variant of variants) {
    const merged = { ...env, ...variant.env };
    for (const [key, value] of Object.entries(merged)) if (value === "") delete merged[key];
    const server = await startServer({
      mode: "single",
      env: merged,
      cpu: pin ? "0" : undefined,
      cwd: variant.tree,
      logDir: join(tmpdir(), stamp),
      label: variant.label,
    });
    servers.push(server);
    // A variant without Redis is an experiment on purpose; the others must be on the real ones.
    if (merged.REDIS_URL) await assertReady(server.base);
  }
  const credentials = await obtainCredentials(servers[0]!.base, accounts);
  const scenario = apiScenarios(credentials).find((s) => s.id === values.scenario);
  if (!scenario) throw new Error(`unknown scenario ${values.scenario}`);

  for (let round = 0; round < rounds; round++) {
    // Rotate the order so that no variant always runs right after another's load.
    for (let i = 0; i < variants.length; i++) {
      const at = (i + round) % variants.length;
      const variant = variants[at]!;
      const server = servers[at]!;
      let cpuAtStart = server.cpuMs();
      const result = await generator.run(
        {
          title: `${variant.label} round ${round + 1}`,
          url: server.base,
          connections: Number(values.connections),
          durationSeconds: seconds,
          warmupSeconds: 1,
          requests: scenario.requests,
          uniqueTag: `${stamp}-${variant.label}-${round}`,
        },
        () => {
          cpuAtStart = server.cpuMs();
        },
      );
      const us = ((server.cpuMs() - cpuAtStart) * 1000) / Math.max(result.total, 1);
      if (result.non2xx > 0) say(`  ${variant.label}: ${result.non2xx} non-2xx answers`);
      say(
        `  ${variant.label.padEnd(16)} ${us.toFixed(1).padStart(6)} µs/req  ${Math.round(result.requestsPerSec)} req/s` +
          `  p99 ${result.latencyP99Ms} ms  generator ${result.generatorCpuPercent?.toFixed(0) ?? "?"}% CPU`,
      );
      const list = samples.get(variant.label) ?? [];
      list.push({ us, rps: result.requestsPerSec });
      samples.set(variant.label, list);
    }
  }
} finally {
  for (const [i, server] of servers.entries()) {
    const threads = Object.entries(threadCpu(server.pid)).sort((a, b) => b[1] - a[1]);
    const all = threads.reduce((sum, [, ms]) => sum + ms, 0) || 1;
    const shares = threads.slice(0, 6).map(([name, ms]) => `${name} ${((ms / all) * 100).toFixed(1)}%`);
    say(`  ${variants[i]?.label}: CPU by thread: ${shares.join(", ")}`);
    await server.stop();
  }
  await database.drop();
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  await deleteRedisKeys(redis, `bench:${stamp}:`).catch(() => 0);
  redis.disconnect();
}

say(`\n${values.scenario}, ${rounds} rounds of ${seconds} s, server CPU µs per request:`);
say(`${"variant".padEnd(16)} ${"min".padStart(6)} ${"median".padStart(7)}  median req/s`);
for (const { label } of variants) {
  const list = samples.get(label) ?? [];
  const us = list.map((s) => s.us).sort((a, b) => a - b);
  const rps = list.map((s) => s.rps).sort((a, b) => a - b);
  say(
    `${label.padEnd(16)} ${(us[0] ?? 0).toFixed(1).padStart(6)} ${median(us).toFixed(1).padStart(7)}  ${Math.round(median(rps))}`,
  );
}

function median(sorted: number[]): number {
  if (sorted.length === 0) return 0;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}
