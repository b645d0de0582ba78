/**
 * `npm run bench -- --stalls`: where the API's p99 goes. The API runs with bench/loop-stalls.ts
 * preloaded (event-loop delay histogram, gaps over 3 ms with the CPU the process used in each) and
 * JSC's GC log on stderr (BUN_JSC_logGC); at the end this reads both, and the CPU each of the
 * process's threads used (a thread of the server's, pinned with it, runs on the server's CPU).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export function stallEnvironment(file: string): Record<string, string> {
  return {
    BUN_OPTIONS: `--preload=${join(import.meta.dir, "loop-stalls.ts")}`,
    LOOP_STALLS_FILE: file,
    BUN_JSC_logGC: "1",
  };
}

/** CPU ms used so far by each thread of `pid`, by thread name (several of one name are summed). */
export function threadCpu(pid: number): Record<string, number> {
  const out: Record<string, number> = {};
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const dir = `/proc/${pid}/task/${tid}`;
      const name = tid === String(pid) ? "main (JavaScript)" : readFileSync(`${dir}/comm`, "utf8").trim();
      const stat = readFileSync(`${dir}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      out[name] = (out[name] ?? 0) + (Number(fields[11]) + Number(fields[12])) * 10;
    }
  } catch {
    // The process is gone.
  }
  return out;
}

interface GcPause {
  kind: string;
  pauseMs: number;
}

/** Collections and their pauses from a stderr with BUN_JSC_logGC=1. */
export function gcPauses(stderr: string): GcPause[] {
  const pauses: GcPause[] = [];
  // One collection's lines run from "START … => <Kind>Collection" to "… p=<pause>ms … END]".
  let kind = "";
  for (const line of stderr.split("\n")) {
    const start = /=> (\w+)Collection/.exec(line);
    if (start) kind = start[1] ?? "";
    const end = /p=([\d.]+)ms \(max [\d.]+\), cycle [\d.]+ms END/.exec(line);
    if (end) pauses.push({ kind, pauseMs: Number(end[1]) });
  }
  return pauses;
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

/** Lines for the run's notes: loop delay, GC pauses per request, threads' CPU. */
export function stallReport(input: {
  stallsFile: string;
  stderrFile: string;
  threads: Record<string, number>;
  requests: number;
}): string[] {
  const lines: string[] = ["where the p99 goes (--stalls):"];
  if (existsSync(input.stallsFile)) {
    const s = JSON.parse(readFileSync(input.stallsFile, "utf8")) as {
      delay: { p50: number; p99: number; max: number };
      gaps: number;
      busyGaps: number;
      longestBusy: Array<{ wallMs: number; cpuMs: number }>;
    };
    lines.push(
      `  event-loop delay (1 ms timer): p50 ${s.delay.p50} ms, p99 ${s.delay.p99} ms, max ${s.delay.max} ms; ` +
        `${s.gaps} gaps over 3 ms, ${s.busyGaps} of them with the process running (not descheduled), ` +
        `longest ${s.longestBusy
          .slice(0, 5)
          .map((g) => `${g.wallMs}`)
          .join(", ")} ms`,
    );
  }
  if (existsSync(input.stderrFile)) {
    const pauses = gcPauses(readFileSync(input.stderrFile, "utf8"));
    const sorted = pauses.map((p) => p.pauseMs).sort((a, b) => a - b);
    const total = sorted.reduce((a, b) => a + b, 0);
    const full = pauses.filter((p) => p.kind === "Full").length;
    lines.push(
      `  GC: ${pauses.length} collections (${full} full), one per ${Math.round(input.requests / Math.max(1, pauses.length))} requests; ` +
        `pause p50 ${percentile(sorted, 50).toFixed(2)} ms, p99 ${percentile(sorted, 99).toFixed(2)} ms, ` +
        `max ${(sorted.at(-1) ?? 0).toFixed(2)} ms, ${((total * 1000) / Math.max(1, input.requests)).toFixed(2)} µs a request`,
    );
  }
  const threads = Object.entries(input.threads).sort((a, b) => b[1] - a[1]);
  const all = threads.reduce((sum, [, ms]) => sum + ms, 0);
  lines.push(
    `  CPU by thread: ${threads
      .slice(0, 8)
      .map(([name, ms]) => `${name} ${((ms / Math.max(1, all)) * 100).toFixed(1)}%`)
      .join(", ")}`,
  );
  return lines;
}
