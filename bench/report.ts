import type { Check, MemoryFacts, ScenarioOutcome } from "./targets";

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
  memory: MemoryFacts;
  checks: Check[];
  passed: boolean;
}

const columns = ["scenario", "req/s", "p50 ms", "p99 ms", "non-2xx", "vs baseline", "server CPU µs/req"] as const;

/** One row per scenario: the numbers, or why there are none. */
export function tableRows(outcomes: ScenarioOutcome[]): string[][] {
  return outcomes.map((o) => {
    const r = o.result;
    if (o.status !== "measured" || !r) {
      const why = o.status === "unavailable" ? "not available yet" : `failed: ${o.note ?? ""}`;
      return [o.title, why, "", "", "", "", ""];
    }
    const bad = r.non2xx + r.errors + r.timeouts;
    return [
      o.title,
      Math.round(r.requestsPerSec).toLocaleString("en-US"),
      String(r.latencyP50Ms),
      String(r.latencyP99Ms),
      String(bad),
      o.ratio === undefined ? "" : o.ratio.toFixed(2),
      o.cpuUsPerRequest === undefined ? "" : o.cpuUsPerRequest.toFixed(0),
    ];
  });
}

/** A fixed-width table for the terminal. */
export function textTable(outcomes: ScenarioOutcome[]): string {
  const rows = [columns as unknown as string[], ...tableRows(outcomes)];
  const widths = columns.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? "").length)));
  const line = (row: string[]) =>
    row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join("  ");
  return [line(rows[0] ?? []), widths.map((w) => "-".repeat(w)).join("  "), ...rows.slice(1).map(line)].join("\n");
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
      `load average at start ${machine.loadAverageAtStart ?? "?"}; Bun ${machine.bun}, autocannon on ${machine.generator}; ` +
      `${settings.connections} connections, ${settings.warmupSeconds} s warm-up + ${settings.durationSeconds} s per scenario` +
      `${settings.soakSeconds > 0 ? `, ${settings.soakSeconds} s soak` : ""}. ` +
      `Baseline runs: ${report.baselineRuns.map((r) => Math.round(r).toLocaleString("en-US")).join(", ")} req/s.` +
      (overrides.length > 0 ? ` Experiment settings: ${overrides.join(" ")}.` : ""),
    "",
    ...markdownTable([...columns], tableRows(report.outcomes)),
    "",
    ...(memory.length > 0 ? [`${memory.join("; ")}.`, ""] : []),
    failed.length === 0
      ? `All ${report.checks.length} targets met.`
      : `Missed ${failed.length} of ${report.checks.length} targets:\n\n${failed
          .map((c) => `- ${c.name}: ${c.actual} (target ${c.expected})`)
          .join("\n")}`,
    "",
  ].join("\n");
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
