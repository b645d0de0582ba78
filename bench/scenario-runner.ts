import type { RunningServer } from "./api-server";
import { startCeiling } from "./baseline";
import { captureResponse } from "./capture";
import type { Generator } from "./generator";
import type { LoadResult, LoadSpec } from "./load-spec";
import type { BenchOptions } from "./options";
import { type Scenario, soakRequests } from "./scenarios";
import type { MemoryFacts, ScenarioOutcome } from "./targets";

export type ScenarioRunner = ReturnType<typeof createScenarioRunner>;

/** What the runner needs of a server under load. */
export interface Target {
  base: string;
  cpuMs(): number;
  /** Run-queue wait of its main thread so far, in ms; undefined where /proc does not say. */
  waitMs?(): number | undefined;
}

interface RunnerDeps {
  generator: Generator;
  options: BenchOptions;
  stamp: string;
  say: (line: string) => void;
  /** Where the ceilings' replay servers run (the API's CPU) and where their captures are kept. */
  serverCpu?: string;
  workDir: string;
  /** CPU used so far by Postgres (the run's database) and Redis, to charge per request. */
  dependencyCpu?: () => { postgres: number; redis: number };
  /** Called as each measured run starts (after its warm-up, when the pools are open). */
  onMeasuredStart?: () => void;
}

/** Probes and measures scenarios with the run's generator settings. */
export function createScenarioRunner({
  generator,
  options,
  stamp,
  say,
  serverCpu,
  workDir,
  dependencyCpu,
  onMeasuredStart,
}: RunnerDeps) {
  let baselineResult: ScenarioOutcome | undefined;
  // Unique per run and scenario, so that `{n}` bodies never repeat an email of an earlier run.
  const runTag = Date.parse(`${stamp.slice(0, 10)}T${stamp.slice(11, 19).replaceAll("-", ":")}Z`).toString(36);
  const tag = (id: string) => `${runTag}-${id}`;
  const spec = (scenario: Scenario, base: string, seconds: number, warmup: number): LoadSpec => ({
    title: scenario.id,
    url: base,
    connections: options.connections,
    durationSeconds: seconds,
    warmupSeconds: warmup,
    requests: scenario.requests,
    uniqueTag: tag(scenario.id),
  });

  /** One measured run, with the server's CPU time per request over the measured part. */
  async function measure(scenario: Scenario, server: Target) {
    let cpuAtStart = server.cpuMs();
    let waitAtStart = server.waitMs?.();
    let dependenciesAtStart = dependencyCpu?.();
    const result = await generator.run(
      spec(scenario, server.base, options.durationSeconds, options.warmupSeconds),
      () => {
        onMeasuredStart?.();
        cpuAtStart = server.cpuMs();
        waitAtStart = server.waitMs?.();
        dependenciesAtStart = dependencyCpu?.();
      },
    );
    const cpuUsPerRequest = result.total > 0 ? ((server.cpuMs() - cpuAtStart) * 1000) / result.total : undefined;
    const serverWaitPercent = waitPercent(waitAtStart, server.waitMs?.(), result.durationSeconds);
    const dependencies = dependencyCpu?.();
    const perRequest = (now: number, then: number) => ((now - then) * 1000) / Math.max(1, result.total);
    const dependencyCpuUs =
      dependencies && dependenciesAtStart
        ? {
            postgres: perRequest(dependencies.postgres, dependenciesAtStart.postgres),
            redis: perRequest(dependencies.redis, dependenciesAtStart.redis),
          }
        : undefined;
    const generatorCpu =
      result.generatorCpuPercent === undefined ? "" : `, generator ${result.generatorCpuPercent.toFixed(0)}% CPU`;
    const serverWait = serverWaitPercent === undefined ? "" : ` (waited for its CPU ${serverWaitPercent.toFixed(0)}%)`;
    say(
      `  ${Math.round(result.requestsPerSec).toLocaleString("en-US")} req/s, p99 ${result.latencyP99Ms} ms, ` +
        `${cpuUsPerRequest?.toFixed(1) ?? "?"} µs server CPU per request${serverWait}${generatorCpu}` +
        (dependencyCpuUs
          ? `; Postgres ${dependencyCpuUs.postgres.toFixed(1)} µs, Redis ${dependencyCpuUs.redis.toFixed(1)} µs a request`
          : ""),
    );
    return {
      id: scenario.id,
      title: scenario.title,
      status: "measured" as const,
      result,
      cpuUsPerRequest,
      serverWaitPercent,
      dependencyCpuUs,
    };
  }

  return {
    /** Measures the baseline; returns its requests/s. */
    async measureBaseline(scenario: Scenario, server: Target): Promise<number> {
      say(`▶ ${scenario.title}`);
      const outcome = await measure(scenario, server);
      baselineResult ??= outcome;
      return outcome.result.requestsPerSec;
    },

    /** The baseline row of the table: its first run's latencies, the mean of its runs' throughput. */
    baselineOutcome(meanRequestsPerSec: number): ScenarioOutcome {
      if (!baselineResult) return { id: "baseline", title: "baseline", status: "failed", note: "not measured" };
      const result = { ...baselineResult.result, requestsPerSec: meanRequestsPerSec } as LoadResult;
      return { ...baselineResult, id: "baseline", result, baselineRatio: 1 };
    },

    /**
     * Captures the scenario's response, measures the API, then (with `ceiling`) a raw Bun.serve
     * sending that captured response byte for byte, right after, on the same CPU. A 404 on the
     * capture means the route is not built yet: reported, not measured, not a failure.
     */
    async run(scenario: Scenario, server: Target, { ceiling = true } = {}): Promise<ScenarioOutcome> {
      const first = scenario.requests[0];
      if (!first) return { id: scenario.id, title: scenario.title, status: "failed", note: "no request" };
      try {
        const capture = await captureResponse(server.base, first, tag(scenario.id));
        if (capture.status === 404) {
          say(`▷ ${scenario.title}: not available yet (404)`);
          return { id: scenario.id, title: scenario.title, status: "unavailable", note: "404" };
        }
        say(`▶ ${scenario.title}${capture.status >= 300 ? ` (capture answered ${capture.status})` : ""}`);
        const outcome: ScenarioOutcome = await measure(scenario, server);
        if (!ceiling) return outcome;
        say(`  ceiling: raw Bun.serve sending the same ${capture.headers.length} headers and body`);
        const replay = await startCeiling(serverCpu, capture, workDir);
        try {
          const { result, cpuUsPerRequest, serverWaitPercent } = await measure(scenario, replay);
          outcome.ceiling = { result, cpuUsPerRequest, serverWaitPercent };
        } finally {
          await replay.stop();
        }
        return outcome;
      } catch (error) {
        return { id: scenario.id, title: scenario.title, status: "failed", note: (error as Error).message };
      }
    },

    measure,

    generator,
    spec,
  };
}

/** A run-queue wait over the measured run, in % of its wall time. */
export function waitPercent(atStart: number | undefined, atEnd: number | undefined, seconds: number) {
  if (atStart === undefined || atEnd === undefined || !(seconds > 0)) return undefined;
  return ((atEnd - atStart) / (seconds * 1000)) * 100;
}

/**
 * The soak: every available API scenario's requests in turn on each connection, for `seconds`,
 * with the server's RSS sampled twice a second. Returns the highest RSS of each half.
 */
export async function soak(input: {
  runner: ScenarioRunner;
  api: RunningServer;
  available: Scenario[];
  seconds: number;
  say: (line: string) => void;
}): Promise<{ memory: NonNullable<MemoryFacts["soak"]>; requests: number }> {
  const { runner, api, seconds, say } = input;
  const mix: Scenario = { id: "soak", title: "soak", server: "api", requests: soakRequests(input.available) };
  say(`▶ soak: ${mix.requests.length} requests in turn for ${seconds} s, RSS sampled`);
  const samples: Array<{ at: number; mb: number }> = [];
  const startedAt = performance.now();
  const sampler = setInterval(() => samples.push({ at: performance.now() - startedAt, mb: api.rssMb() }), 500);
  let result: LoadResult;
  try {
    result = await runner.generator.run(runner.spec(mix, api.base, seconds, 0));
  } finally {
    clearInterval(sampler);
  }
  const half = (samples.at(-1)?.at ?? 0) / 2;
  const max = (list: typeof samples) => Math.max(0, ...list.map((s) => s.mb));
  const memory = {
    firstHalfMb: max(samples.filter((s) => s.at <= half)),
    secondHalfMb: max(samples.filter((s) => s.at > half)),
  };
  say(
    `  ${Math.round(result.requestsPerSec).toLocaleString("en-US")} req/s, RSS ${memory.firstHalfMb.toFixed(1)} → ${memory.secondHalfMb.toFixed(1)} MB`,
  );
  return { memory, requests: result.total };
}
