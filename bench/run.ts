/**
 * npm run bench [-- --quick]: the baseline (raw Bun.serve), then the API in production mode on a
 * fresh Postgres database and the local Redis, each scenario followed by its ceiling (raw Bun.serve
 * sending the API's captured response), then the peers (bench/peers/, each paired with a run of
 * the API's /me), the soak and the cluster; prints a table, writes bench/results/<stamp>.json and
 * .md, exits 1 when a target of issue 20 is missed.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import Redis from "ioredis";
import { type RunningServer, startServer } from "./api-server";
import { apiEnvironment, assertReady, deleteRedisKeys, obtainCredentials, serverMemory } from "./api-session";
import { startBaseline } from "./baseline";
import { formatSummary, summarizeProfile } from "./cpu-profile";
import { createBenchDatabase, seedBenchDatabase } from "./database";
import { createGenerator } from "./generator";
import { type BenchOptions, parseOptions, usage } from "./options";
import { ensureInstalled, peers, peerToken, startPeer } from "./peer-servers";
import { canPin, dependencyCpuMs, loadAverage, pinRedis } from "./processes";
import {
  checkLines,
  dependencyLine,
  generatorName,
  markdownReport,
  peerColumns,
  peerRows,
  type RunReport,
  textTable,
} from "./report";
import { createScenarioRunner, type ScenarioRunner, soak } from "./scenario-runner";
import { apiScenarios, baselineScenario, clusterScenario, type Scenario } from "./scenarios";
import { stallEnvironment, stallReport, threadCpu } from "./stalls";
import { checkTargets, type MemoryFacts, type PeerOutcome, type ScenarioOutcome } from "./targets";
import { wireSizes } from "./wire-size";

const options = readOptions();
const stamp = new Date().toISOString().replace(/[:.]/g, "-").replace("Z", "");
const root = join(import.meta.dir, "..");
const logDir = join(tmpdir(), `revenue-bench-${stamp}`);
const pin = canPin() && availableParallelism() >= 2;
const serverCpu = pin ? "0" : undefined;
const selected = (id: string) => !options.only || options.only.has(id);
const say = (line: string) => process.stderr.write(`${line}\n`);

const generator = await createGenerator({ runtime: options.generator, cpu: pin ? "1" : undefined });
let databaseName = "";
let unpinRedis = () => {};
const redisPort = new URL(options.redisUrl).port || "6379";
const runner = createScenarioRunner({
  generator,
  options,
  stamp,
  say,
  serverCpu,
  workDir: join(logDir, "captures"),
  dependencyCpu: () => dependencyCpuMs(databaseName, redisPort),
  onMeasuredStart: pin
    ? () => {
        unpinRedis = pinRedis(redisPort, "1");
      }
    : undefined,
});
const loadAtStart = loadAverage();
say(
  `bench ${stamp} (${options.mode}): ${availableParallelism()} CPUs, load average ${loadAtStart ?? "?"}, ` +
    `${pin ? "server on CPU 0, generator on CPU 1" : "unpinned (no taskset)"}, generator ${generatorName(generator.runtime)}`,
);

const outcomes: ScenarioOutcome[] = [];
const peerOutcomes: PeerOutcome[] = [];
const memory: MemoryFacts = {};
const baselineRuns: number[] = [];
const notes: string[] = [];
const baseline = await startBaseline(serverCpu);
const profileDir = options.profile ? join(logDir, "profiles") : undefined;

try {
  baselineRuns.push(await runner.measureBaseline(baselineScenario, baseline));
  const database = await createBenchDatabase(options.postgresUrl, stamp);
  databaseName = database.name;
  const stallsFile = join(logDir, "loop-stalls.json");
  const env = withOverrides({
    ...apiEnvironment({ databaseUrl: database.url, redisUrl: options.redisUrl, stamp }),
    ...(options.stalls ? stallEnvironment(stallsFile) : {}),
  });
  try {
    say(`seeding ${database.name}: an organization, its admin and user, ${options.prospects} prospects`);
    const accounts = await seedBenchDatabase(database.url, options.prospects);
    const api = await startServer({ mode: "single", env, cpu: serverCpu, logDir, label: "api", profileDir });
    let served = 0;
    let credentials: Awaited<ReturnType<typeof obtainCredentials>>;
    try {
      await assertReady(api.base);
      credentials = await obtainCredentials(api.base, accounts);
      const scenarios = apiScenarios(credentials).filter((s) => selected(s.id));
      for (const scenario of scenarios) {
        const outcome = await runner.run(scenario, api);
        served += outcome.result?.total ?? 0;
        outcomes.push(outcome);
      }
      const meJwt = scenarios.find((s) => s.id === "me-jwt");
      if (meJwt && selected("peers")) {
        const me = (await (await fetch(`${api.base}/api/v1/me`, { headers: meJwt.requests[0]?.headers })).json()) as {
          data: { user: { id: string; email: string; role: string; organizationId: string } };
        };
        for (const peer of peers()) {
          const outcome = await runPeer(peer, runner, api, meJwt, me.data.user);
          served += outcome.api?.total ?? 0;
          peerOutcomes.push(outcome);
        }
      }
      if (options.soakSeconds > 0 && selected("soak")) {
        const available = scenarios.filter((s) => outcomes.find((o) => o.id === s.id)?.status === "measured");
        const result = await soak({ runner, api, available, seconds: options.soakSeconds, say });
        memory.soak = result.memory;
        served += result.requests;
      }
      memory.endRssMb = api.rssMb();
      notes.push(`server memory at the end (GET /health): ${await serverMemory(api.base)}`);
      notes.push(...(await wireSizes(api.base, credentials)));
      notes.push(`access log: ${(api.accessLogBytes() / 1e6).toFixed(1)} MB written`);
    } finally {
      const threads = threadCpu(api.pid);
      notes.push(`API exit code on SIGTERM: ${await api.stop()}`);
      if (options.stalls) {
        const stderrFile = join(logDir, "api.stderr.log");
        // Every request, warm-ups included, left one access-log line.
        const requests = readFileSync(join(logDir, "api.access.log"), "utf8").split("\n").length - 1;
        notes.push(...stallReport({ stallsFile, stderrFile, threads, requests }));
      }
    }
    if (profileDir) printProfile(join(profileDir, "api.cpuprofile"), served);

    if (selected("cluster-me-jwt")) outcomes.push(await runCluster(env, credentials));
    baselineRuns.push(await runner.measureBaseline(baselineScenario, baseline));
  } finally {
    await database.drop();
    const redis = new Redis(options.redisUrl, { lazyConnect: false, maxRetriesPerRequest: 1 });
    await deleteRedisKeys(redis, `bench:${stamp}:`).catch(() => 0);
    redis.disconnect();
  }
} finally {
  await baseline.stop();
  unpinRedis();
}

const baselineMean = baselineRuns.reduce((a, b) => a + b, 0) / baselineRuns.length;
for (const outcome of outcomes) {
  if (!outcome.result) continue;
  outcome.baselineRatio = outcome.result.requestsPerSec / baselineMean;
  if (outcome.ceiling) outcome.ratio = outcome.result.requestsPerSec / outcome.ceiling.result.requestsPerSec;
}
const baselineOutcome = runner.baselineOutcome(baselineMean);
const all = [baselineOutcome, ...outcomes];
const checks = checkTargets(all, memory, undefined, peerOutcomes);
const report: RunReport = {
  stamp,
  mode: options.mode,
  machine: {
    cpus: availableParallelism(),
    pinned: pin,
    loadAverageAtStart: loadAtStart,
    bun: Bun.version,
    generator: generator.runtime,
  },
  settings: {
    connections: options.connections,
    durationSeconds: options.durationSeconds,
    warmupSeconds: options.warmupSeconds,
    soakSeconds: options.soakSeconds,
    overrides: options.env,
  },
  baselineRuns,
  outcomes: all,
  peers: peerOutcomes,
  memory,
  checks,
  passed: checks.every((c) => c.passed),
};

const resultsDir = join(root, "bench", "results");
mkdirSync(resultsDir, { recursive: true });
writeFileSync(join(resultsDir, `${stamp}.json`), `${JSON.stringify({ ...report, notes }, null, 2)}\n`);
writeFileSync(join(resultsDir, `${stamp}.md`), markdownReport(report));
if (!options.profile && !options.stalls) rmSync(logDir, { recursive: true, force: true });

say("");
say(textTable(all));
say("");
if (peerOutcomes.length > 0) say(`${textTable([], peerColumns, peerRows(peerOutcomes))}\n`);
const dependencies = dependencyLine(outcomes);
if (dependencies) say(`${dependencies}\n`);
for (const note of notes) say(note);
for (const line of checkLines(checks)) say(line);
const kept = options.profile || options.stalls;
say(`\nwrote bench/results/${stamp}.json and .md${kept ? `; logs (and profile) in ${logDir}` : ""}`);
say(report.passed ? "all targets met" : `${checks.filter((c) => !c.passed).length} target(s) missed`);
process.exit(report.passed ? 0 : 1);

async function runCluster(env: Record<string, string>, credentials: Parameters<typeof clusterScenario>[0]) {
  const scenario = clusterScenario(credentials, options.clusterWorkers);
  if (!existsSync(join(root, "src", "cluster.ts"))) {
    return { id: scenario.id, title: scenario.title, status: "unavailable" as const, note: "src/cluster.ts missing" };
  }
  let cluster: RunningServer | undefined;
  try {
    // Unpinned: two workers need two cores, and this machine's second core also runs autocannon.
    cluster = await startServer({
      mode: "cluster",
      env: { ...env, CLUSTER_WORKERS: String(options.clusterWorkers) },
      logDir,
      label: "cluster",
    });
    return await runner.run(scenario, cluster, { ceiling: false });
  } catch (error) {
    return { id: scenario.id, title: scenario.title, status: "failed" as const, note: (error as Error).message };
  } finally {
    if (cluster) notes.push(`cluster exit code on SIGTERM: ${await cluster.stop()}`);
  }
}

/**
 * A peer's /me, then the API's /me right after it: the ratio of a pair taken a few seconds apart
 * survives the machine's drift better than one against a run minutes earlier.
 */
async function runPeer(
  peer: ReturnType<typeof peers>[number],
  runner: ScenarioRunner,
  api: RunningServer,
  meJwt: Scenario,
  user: { id: string; email: string; role: string; organizationId: string },
): Promise<PeerOutcome> {
  const title = peer.title;
  try {
    await ensureInstalled(peer, say);
    const secret = Buffer.from(crypto.getRandomValues(new Uint8Array(48))).toString("base64url");
    const token = await peerToken(secret, user);
    const server = await startPeer(peer, serverCpu, {
      secret,
      redisUrl: options.redisUrl,
      prefix: `bench:${stamp}:peer-${peer.id}:`,
      logFile: join(logDir, `peer-${peer.id}.access.log`),
    });
    const scenario: Scenario = {
      id: `peer-${peer.id}`,
      title,
      server: "api",
      requests: [{ method: "GET", path: "/api/v1/me", headers: { authorization: `Bearer ${token}` } }],
    };
    try {
      say(`▶ peer: ${title}`);
      const { result, cpuUsPerRequest } = await runner.measure(scenario, server);
      say("  the API's /me (JWT), paired");
      const paired = await runner.measure(meJwt, api);
      return {
        id: peer.id,
        title,
        status: "measured",
        result,
        cpuUsPerRequest,
        api: paired.result,
        apiCpuUsPerRequest: paired.cpuUsPerRequest,
        ratio: paired.result.requestsPerSec / result.requestsPerSec,
      };
    } finally {
      await server.stop();
    }
  } catch (error) {
    return { id: peer.id, title, status: "failed", note: (error as Error).message };
  }
}

function printProfile(path: string, requests: number) {
  if (!existsSync(path)) return say(`no profile at ${path}`);
  say(`\nCPU profile of the API (${path}):`);
  say(formatSummary(summarizeProfile(path, 30), requests));
}

/** The API's settings with --env overrides applied; an empty value removes the setting. */
function withOverrides(base: Record<string, string>): Record<string, string> {
  const merged = { ...base, ...options.env };
  for (const [key, value] of Object.entries(merged)) if (value === "") delete merged[key];
  return merged;
}

function readOptions(): BenchOptions {
  try {
    return parseOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`bench: ${(error as Error).message}\n${usage}\n`);
    process.exit(2);
  }
}
