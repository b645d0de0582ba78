import type { LoadResult } from "./load-spec";
import type { Check, MemoryFacts, PeerOutcome, ScenarioOutcome } from "./targets";

/** Everything a run wrote down: bench/results/<stamp>.json, and the source of its .md. */
export interface RunReport {
  stamp: string;
  mode: "quick" | "full";
  machine: { cpus: number; pinned: boolean; loadAverageAtStart?: number; bun: string; generator: string };
  settings: {
    connections: number;
    durationSeconds: number;
    warmupSeconds: number;
    soakSeconds: number;
    /** --env settings of an experiment; empty for a standard run. */
    overrides: Record<string, string>;
  };
  baselineRuns: number[];
  outcomes: ScenarioOutcome[];
  peers: PeerOutcome[];
  memory: MemoryFacts;
  checks: Check[];
  passed: boolean;
}

export const columns = [
  "scenario",
  "req/s",
  "p50 ms",
  "p99 ms",
  "non-2xx",
  "ceiling req/s",
  "ceiling p99 ms",
  "vs ceiling",
  "vs baseline",
  "server CPU µs/req",
  "ceiling µs/req",
  "server waited %",
  "generator CPU %",
] as const;

export const peerColumns = [
  "peer, GET /api/v1/me",
  "req/s",
  "p50 ms",
  "p99 ms",
  "non-2xx",
  "server CPU µs/req",
  "generator CPU %",
  "API /me req/s, paired",
  "API ÷ peer",
  "peer µs ÷ API µs",
] as const;

const rate = (r: LoadResult) => Math.round(r.requestsPerSec).toLocaleString("en-US");
const ms = (value: number) => (value < 10 ? value.toFixed(2) : value.toFixed(1));
const fixed = (value: number | undefined, digits: number) => (value === undefined ? "" : value.toFixed(digits));
const bad = (r: LoadResult) => String(r.non2xx + r.errors + r.timeouts);

/** "API / ceiling", whole percents; either may be missing. */
const pair = (api: number | undefined, ceiling: number | undefined) =>
  [api, ceiling]
    .filter((v) => v !== undefined)
    .map((v) => v.toFixed(0))
    .join(" / ");

/** One row per scenario: the numbers, or why there are none. */
export function tableRows(outcomes: ScenarioOutcome[]): string[][] {
  return outcomes.map((o) => {
    const r = o.result;
    if (o.status !== "measured" || !r) {
      const why = o.status === "unavailable" ? "not available yet" : `failed: ${o.note ?? ""}`;
      return [o.title, why, "", "", "", "", "", "", "", "", "", "", ""];
    }
    const ceiling = o.ceiling?.result;
    const generator = pair(r.generatorCpuPercent, ceiling?.generatorCpuPercent);
    const waited = pair(o.serverWaitPercent, o.ceiling?.serverWaitPercent);
    return [
      o.title,
      rate(r),
      ms(r.latencyP50Ms),
      ms(r.latencyP99Ms),
      bad(r),
      ceiling ? rate(ceiling) : "",
      ceiling ? ms(ceiling.latencyP99Ms) : "",
      fixed(o.ratio, 2),
      fixed(o.baselineRatio, 2),
      fixed(o.cpuUsPerRequest, 1),
      fixed(o.ceiling?.cpuUsPerRequest, 1),
      waited,
      generator,
    ];
  });
}

/** Postgres' and Redis' CPU per request of each API scenario: the cores' other tenants. */
export function dependencyLine(outcomes: ScenarioOutcome[]): string | undefined {
  const parts = outcomes
    .filter((o) => o.dependencyCpuUs)
    .map((o) => `${o.id} ${o.dependencyCpuUs?.postgres.toFixed(1)} / ${o.dependencyCpuUs?.redis.toFixed(1)}`);
  return parts.length === 0 ? undefined : `Postgres / Redis CPU µs a request (same cores): ${parts.join("; ")}.`;
}

/** One row per peer: its /me, and the API's /me paired with it. */
export function peerRows(peers: PeerOutcome[]): string[][] {
  return peers.map((p) => {
    const r = p.result;
    if (p.status !== "measured" || !r || !p.api) {
      return [p.title, `failed: ${p.note ?? ""}`, "", "", "", "", "", "", "", ""];
    }
    // CPU per request survives a busy machine better than req/s: the same ratio, from cost.
    const cpuRatio =
      p.cpuUsPerRequest !== undefined && p.apiCpuUsPerRequest ? p.cpuUsPerRequest / p.apiCpuUsPerRequest : undefined;
    return [
      p.title,
      rate(r),
      ms(r.latencyP50Ms),
      ms(r.latencyP99Ms),
      bad(r),
      fixed(p.cpuUsPerRequest, 1),
      fixed(r.generatorCpuPercent, 0),
      rate(p.api),
      p.ratio === undefined ? "" : `${p.ratio.toFixed(2)}×`,
      cpuRatio === undefined ? "" : `${cpuRatio.toFixed(2)}×`,
    ];
  });
}

/** A fixed-width table for the terminal. */
export function textTable(
  outcomes: ScenarioOutcome[],
  header: readonly string[] = columns,
  rows = tableRows(outcomes),
): string {
  const all = [header as string[], ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((row) => (row[i] ?? "").length)));
  const line = (row: string[]) =>
    row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join("  ");
  return [line(all[0] ?? []), widths.map((w) => "-".repeat(w)).join("  "), ...all.slice(1).map(line)].join("\n");
}

/** The checks, one per line, failures marked. */
export function checkLines(checks: Check[]): string[] {
  return checks.map((c) => `${c.passed ? "ok  " : "FAIL"}  ${c.name}: ${c.actual} (target ${c.expected})`);
}

/** A small markdown summary of a run (bench/results/<stamp>.md), laid out as biome formats markdown. */
export function markdownReport(report: RunReport): string {
  const { machine, settings } = report;
  const failed = report.checks.filter((c) => !c.passed);
  const memory = [
    report.memory.endRssMb === undefined ? undefined : `server RSS at the end ${report.memory.endRssMb.toFixed(1)} MB`,
    report.memory.soak
      ? `soak max RSS ${report.memory.soak.firstHalfMb.toFixed(1)} → ${report.memory.soak.secondHalfMb.toFixed(1)} MB`
      : undefined,
  ].filter(Boolean);
  const overrides = Object.entries(settings.overrides).map(([k, v]) => `${k}=${v}`);
  return [
    `# Bench ${report.stamp} (${report.mode})`,
    "",
    `${machine.cpus} CPUs, ${machine.pinned ? "server on CPU 0, generator on CPU 1" : "unpinned"}, ` +
      `load average at start ${machine.loadAverageAtStart ?? "?"}; Bun ${machine.bun}, generator ${generatorName(machine.generator)}; ` +
      `${settings.connections} connections, ${settings.warmupSeconds} s warm-up + ${settings.durationSeconds} s per scenario` +
      `${settings.soakSeconds > 0 ? `, ${settings.soakSeconds} s soak` : ""}. ` +
      `Baseline runs: ${report.baselineRuns.map((r) => Math.round(r).toLocaleString("en-US")).join(", ")} req/s.` +
      (overrides.length > 0 ? ` Experiment settings: ${overrides.join(" ")}.` : ""),
    "",
    ...markdownTable([...columns], tableRows(report.outcomes)),
    "",
    ...(report.peers.length > 0 ? [...markdownTable([...peerColumns], peerRows(report.peers)), ""] : []),
    ...(dependencyLine(report.outcomes) ? [dependencyLine(report.outcomes) as string, ""] : []),
    ...(memory.length > 0 ? [`${memory.join("; ")}.`, ""] : []),
    failed.length === 0
      ? `All ${report.checks.length} targets met.`
      : `Missed ${failed.length} of ${report.checks.length} targets:\n\n${failed
          .map((c) => `- ${c.name}: ${c.actual} (target ${c.expected})`)
          .join("\n")}`,
    "",
  ].join("\n");
}

export function generatorName(runtime: string): string {
  return runtime === "wrk" ? "wrk -t1" : `autocannon on ${runtime}`;
}

/** Padded cells, first column left-aligned and the others right-aligned. */
function markdownTable(header: string[], rows: string[][]): string[] {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(3, ...all.map((row) => (row[i] ?? "").length)));
  const cell = (text: string, i: number) => (i === 0 ? text.padEnd(widths[i] ?? 0) : text.padStart(widths[i] ?? 0));
  const line = (row: string[]) => `| ${header.map((_, i) => cell(row[i] ?? "", i)).join(" | ")} |`;
  const rule = `| ${widths.map((w, i) => (i === 0 ? "-".repeat(w) : `${"-".repeat(w - 1)}:`)).join(" | ")} |`;
  return [line(header), rule, ...rows.map(line)];
}
