import type { LoadResult } from "./load-spec";

/** What happened to one scenario in a run. */
export interface ScenarioOutcome {
  id: string;
  title: string;
  /** unavailable: the route answered 404 (not built yet); failed: it could not be measured. */
  status: "measured" | "unavailable" | "failed";
  note?: string;
  result?: LoadResult;
  /** The same bytes sent by raw Bun.serve (bench/replay-server.ts), measured right after. */
  ceiling?: { result: LoadResult; cpuUsPerRequest?: number; serverWaitPercent?: number };
  /** requests/s over the ceiling's. */
  ratio?: number;
  /** requests/s over the bare baseline's (raw Bun.serve, a small JSON body) of the same run. */
  baselineRatio?: number;
  /** Server CPU time per request during the measured run: the cost, whatever else the machine did. */
  cpuUsPerRequest?: number;
  /**
   * Share of the measured run's wall time the server's main thread was runnable but waited for its
   * CPU: another process (Postgres, most often) held the server's core.
   */
  serverWaitPercent?: number;
  /** CPU per request of the run's Postgres backends and of Redis (shared with any other client). */
  dependencyCpuUs?: { postgres: number; redis: number };
}

/** A peer stack's /me, and the API's /me measured right after it. */
export interface PeerOutcome {
  id: string;
  title: string;
  status: "measured" | "failed";
  note?: string;
  result?: LoadResult;
  cpuUsPerRequest?: number;
  /** The API's /me (JWT) run paired with this peer's. */
  api?: LoadResult;
  apiCpuUsPerRequest?: number;
  /** The API's requests/s over the peer's, from the pair. */
  ratio?: number;
}

export interface MemoryFacts {
  /** Server RSS after the last API scenario (or after the soak). */
  endRssMb?: number;
  /** Highest RSS seen in each half of the soak; full mode only. */
  soak?: { firstHalfMb: number; secondHalfMb: number };
}

/**
 * Issue 20's targets. Ratios are against the same scenario's ceiling (raw Bun.serve sending the
 * API's response byte for byte), measured right after it; peer ratios against the peer's /me run,
 * paired with one of the API's.
 */
export interface Targets {
  minRequestsPerSec: number;
  minRatio: Record<string, number>;
  /** The API's /me over each peer's. */
  minPeerRatio: number;
  maxP99Ms: Record<string, number>;
  maxRssMb: number;
  maxSoakGrowth: number;
}

export const targets: Targets = {
  minRequestsPerSec: 1000,
  minRatio: { "me-jwt": 0.5, "me-api-key": 0.5, "prospects-list": 0.2 },
  minPeerRatio: 2.5,
  maxP99Ms: { "me-jwt": 5, "me-api-key": 5 },
  maxRssMb: 150,
  maxSoakGrowth: 0.1,
};

export interface Check {
  name: string;
  passed: boolean;
  actual: string;
  expected: string;
}

/**
 * Every target that applies to what was measured. An unavailable scenario has no checks (its
 * route does not exist yet); a failed one is a failed check.
 */
export function checkTargets(
  outcomes: ScenarioOutcome[],
  memory: MemoryFacts,
  goal: Targets = targets,
  peerOutcomes: PeerOutcome[] = [],
): Check[] {
  const checks: Check[] = [];
  for (const outcome of outcomes) {
    if (outcome.status === "unavailable") continue;
    const { id, result } = outcome;
    if (outcome.status === "failed" || !result) {
      checks.push({ name: `${id} measured`, passed: false, actual: outcome.note ?? "failed", expected: "a result" });
      continue;
    }
    checks.push(atLeast(`${id} req/s`, result.requestsPerSec, goal.minRequestsPerSec, (v) => v.toFixed(0)));
    const bad = result.non2xx + result.errors + result.timeouts;
    checks.push({
      name: `${id} non-2xx, errors, timeouts`,
      passed: bad === 0,
      actual: `${result.non2xx}, ${result.errors}, ${result.timeouts}`,
      expected: "0",
    });
    const minRatio = goal.minRatio[id];
    if (minRatio !== undefined) {
      checks.push(atLeast(`${id} ratio to its ceiling`, outcome.ratio ?? 0, minRatio, (v) => v.toFixed(2)));
    }
    const maxP99 = goal.maxP99Ms[id];
    if (maxP99 !== undefined) {
      checks.push({
        name: `${id} p99`,
        passed: result.latencyP99Ms <= maxP99,
        actual: `${result.latencyP99Ms} ms`,
        expected: `≤ ${maxP99} ms`,
      });
    }
  }
  for (const peer of peerOutcomes) {
    if (peer.status !== "measured") {
      checks.push({
        name: `peer ${peer.id} measured`,
        passed: false,
        actual: peer.note ?? "failed",
        expected: "a result",
      });
      continue;
    }
    checks.push(atLeast(`me-jwt over peer ${peer.id}`, peer.ratio ?? 0, goal.minPeerRatio, (v) => `${v.toFixed(2)}×`));
  }
  if (memory.endRssMb !== undefined) {
    checks.push({
      name: "server RSS at the end",
      passed: memory.endRssMb <= goal.maxRssMb,
      actual: `${memory.endRssMb.toFixed(1)} MB`,
      expected: `≤ ${goal.maxRssMb} MB`,
    });
  }
  if (memory.soak) {
    const growth = memory.soak.secondHalfMb / memory.soak.firstHalfMb - 1;
    checks.push({
      name: "soak RSS growth, second half over first",
      passed: growth <= goal.maxSoakGrowth,
      actual: `${(growth * 100).toFixed(1)}% (${memory.soak.firstHalfMb.toFixed(1)} → ${memory.soak.secondHalfMb.toFixed(1)} MB)`,
      expected: `≤ ${(goal.maxSoakGrowth * 100).toFixed(0)}%`,
    });
  }
  return checks;
}

function atLeast(name: string, actual: number, minimum: number, show: (v: number) => string): Check {
  return { name, passed: actual >= minimum, actual: show(actual), expected: `≥ ${show(minimum)}` };
}
