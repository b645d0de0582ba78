import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LoadResult, LoadSpec, RequestSpec } from "./load-spec";
import { pinned } from "./processes";

const resultMarker = "WRK_RESULT ";

/**
 * Runs `spec` with wrk (one thread, `connections` connections), a warm-up run first; the measured
 * run's own CPU is read from the finished process. wrk counts answers with a status ≥ 400 as
 * errors, so `non2xx` here is those (a 3xx would pass; no scenario sends one).
 */
export async function runWrk(
  wrk: string,
  cpu: string | undefined,
  spec: LoadSpec,
  onMeasuring?: () => void,
): Promise<LoadResult> {
  const dir = mkdtempSync(join(tmpdir(), "revenue-wrk-"));
  try {
    const once = async (seconds: number, phase: string) => {
      // A script per phase: each wrk process counts `{n}` from 1, so the tag must differ.
      const script = join(dir, `${phase}.lua`);
      writeFileSync(script, wrkScript(spec.requests, `${spec.uniqueTag}-${phase}`));
      const child = Bun.spawn(
        pinned(cpu, [wrk, "-t1", `-c${spec.connections}`, `-d${seconds}s`, "--timeout", "10s", "-s", script, spec.url]),
        { stdin: "ignore", stdout: "pipe", stderr: "pipe" },
      );
      const [out, err] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text()]);
      const code = await child.exited;
      const line = out.split("\n").find((l) => l.startsWith(resultMarker));
      if (code !== 0 || !line)
        throw new Error(`wrk (${spec.title} ${phase}) exited ${code}: ${err.trim() || out.trim()}`);
      const usage = child.resourceUsage();
      return {
        raw: JSON.parse(line.slice(resultMarker.length)) as WrkSummary,
        cpuUs: usage ? Number(usage.cpuTime.total) : 0,
      };
    };
    if (spec.warmupSeconds > 0) await once(spec.warmupSeconds, "warm-up");
    onMeasuring?.();
    const { raw, cpuUs } = await once(spec.durationSeconds, "run");
    const seconds = raw.duration_us / 1e6;
    const ms = (us: number) => Math.round(us) / 1000;
    return {
      title: spec.title,
      requestsPerSec: raw.requests / seconds,
      latencyP50Ms: ms(raw.p50),
      latencyP99Ms: ms(raw.p99),
      latencyAvgMs: ms(raw.mean),
      latencyMaxMs: ms(raw.max),
      total: raw.requests,
      non2xx: raw.status,
      errors: raw.connect + raw.read + raw.write,
      timeouts: raw.timeout,
      statusCodes: {},
      durationSeconds: seconds,
      generatorCpuPercent: (cpuUs / raw.duration_us) * 100,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface WrkSummary {
  requests: number;
  duration_us: number;
  connect: number;
  read: number;
  write: number;
  status: number;
  timeout: number;
  p50: number;
  p99: number;
  mean: number;
  max: number;
}

const lua = (text: string) => JSON.stringify(text); // a JSON string is a valid Lua string literal here

function luaHeaders(headers: Record<string, string> | undefined): string {
  return `{${Object.entries(headers ?? {})
    .map(([k, v]) => `[${lua(k)}] = ${lua(v)}`)
    .join(", ")}}`;
}

/**
 * The Lua script: one fixed request set once (wrk then sends the same bytes without calling Lua),
 * or a `request()` that cycles through several and fills `{n}` with a value unique to the run.
 */
export function wrkScript(requests: RequestSpec[], uniqueTag: string): string {
  const done = `
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('${resultMarker}{"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"p50":%f,"p99":%f,"mean":%f,"max":%f}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.mean, latency.max))
end
`;
  const [only] = requests;
  if (requests.length === 1 && only && !only.body?.includes("{n}")) {
    const body = only.body === undefined ? "" : `wrk.body = ${lua(only.body)}\n`;
    const headers = Object.entries(only.headers ?? {})
      .map(([k, v]) => `wrk.headers[${lua(k)}] = ${lua(v)}\n`)
      .join("");
    return `wrk.method = ${lua(only.method)}\nwrk.path = ${lua(only.path)}\n${headers}${body}${done}`;
  }
  const list = requests
    .map(
      (r) =>
        `{ ${lua(r.method)}, ${lua(r.path)}, ${luaHeaders(r.headers)}, ${r.body === undefined ? "nil" : lua(r.body)} }`,
    )
    .join(",\n  ");
  return `local list = {
  ${list}
}
local tag = ${lua(uniqueTag)}
local at = 0
local sequence = 0
request = function()
  at = at % #list + 1
  local r = list[at]
  local body = r[4]
  if body ~= nil and string.find(body, "{n}", 1, true) then
    sequence = sequence + 1
    body = string.gsub(body, "{n}", tag .. "-" .. sequence)
  end
  return wrk.format(r[1], r[2], r[3], body)
end
${done}`;
}
