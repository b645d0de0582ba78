/**
 * The load generator: `bun bench/load.ts '<LoadSpec JSON>'` (or its node build, see generator.ts).
 * It runs in its own process, pinned to its own CPU, so that generating load never shares an event
 * loop or a core with the server or the orchestrator. Progress goes to stderr once a second; the
 * result is the last stdout line.
 */
import autocannon, { type RawRequest, type RequestStep } from "autocannon";
import { type LoadResult, type LoadSpec, measuringMarker, type RequestSpec, resultMarker } from "./load-spec";

const spec = JSON.parse(process.argv[2] ?? "{}") as LoadSpec;
let sequence = 0;

async function main() {
  if (spec.warmupSeconds > 0) await measure("warm-up", spec.warmupSeconds);
  process.stdout.write(`${measuringMarker}\n`);
  const cpuAtStart = process.cpuUsage();
  const startedAt = performance.now();
  const result = await measure("run", spec.durationSeconds);
  const cpu = process.cpuUsage(cpuAtStart);
  result.generatorCpuPercent = ((cpu.user + cpu.system) / 1000 / (performance.now() - startedAt)) * 100;
  process.stdout.write(`${resultMarker}${JSON.stringify(result)}\n`);
}

async function measure(phase: string, seconds: number): Promise<LoadResult> {
  const instance = autocannon({
    url: spec.url,
    connections: spec.connections,
    duration: seconds,
    timeout: 10,
    title: spec.title,
    requests: spec.requests.map(step),
  });
  let elapsed = 0;
  instance.on("tick", ({ counter }) => {
    elapsed = Math.min(elapsed + 1, seconds);
    progress(
      `${spec.title} ${phase} ${elapsed}/${seconds} s  ${counter.toLocaleString("en-US")} req/s`,
      elapsed % 5 === 0,
    );
  });
  const raw = await instance;
  progress("");
  const statusCodes: Record<string, number> = {};
  for (const [code, stats] of Object.entries(raw.statusCodeStats ?? {})) statusCodes[code] = stats.count;
  return {
    title: spec.title,
    requestsPerSec: raw.requests.average,
    latencyP50Ms: raw.latency.p50,
    latencyP99Ms: raw.latency.p99,
    latencyAvgMs: raw.latency.average,
    latencyMaxMs: raw.latency.max,
    total: raw.requests.total,
    non2xx: raw.non2xx,
    errors: raw.errors,
    timeouts: raw.timeouts,
    statusCodes,
    durationSeconds: raw.duration,
  };
}

/** A request whose body has `{n}` gets a fresh value each time it is sent (unique emails). */
function step(request: RequestSpec): RequestStep {
  const base: RequestStep = { method: request.method, path: request.path, headers: request.headers };
  const template = request.body;
  if (template === undefined) return base;
  if (!template.includes("{n}")) return { ...base, body: template };
  return {
    ...base,
    body: template,
    setupRequest: (raw: RawRequest) => {
      sequence++;
      return { ...raw, body: template.replaceAll("{n}", `${spec.uniqueTag}-${sequence}`) };
    },
  };
}

/** One status line, rewritten in place on a terminal; in a log, only the lines marked `keep`. */
function progress(line: string, keep = false) {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[2K${line ? `  ${line}` : ""}`);
  else if (line && keep) process.stderr.write(`  ${line}\n`);
}

main().catch((error) => {
  process.stderr.write(`load generator failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
