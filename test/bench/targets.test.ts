import { describe, expect, test } from "bun:test";
import type { LoadResult } from "../../bench/load-spec";
import { textTable } from "../../bench/report";
import { checkTargets, type ScenarioOutcome } from "../../bench/targets";

function measured(id: string, requestsPerSec: number, ratio: number, extra: Partial<LoadResult> = {}): ScenarioOutcome {
  return {
    id,
    title: `GET /${id}`,
    status: "measured",
    ratio,
    result: {
      title: id,
      requestsPerSec,
      latencyP50Ms: 1,
      latencyP99Ms: 4,
      latencyAvgMs: 1.2,
      latencyMaxMs: 20,
      total: requestsPerSec * 10,
      non2xx: 0,
      errors: 0,
      timeouts: 0,
      statusCodes: { "200": requestsPerSec * 10 },
      durationSeconds: 10,
      ...extra,
    },
  };
}

const failedNames = (outcomes: ScenarioOutcome[], memory = {}) =>
  checkTargets(outcomes, memory)
    .filter((c) => !c.passed)
    .map((c) => c.name);

describe("bench target checks", () => {
  test("pass when every scenario meets issue 9's numbers", () => {
    const outcomes = [
      measured("me-jwt", 30_000, 0.51),
      measured("me-api-key", 28_000, 0.46),
      measured("search", 1500, 0.03),
    ];
    expect(failedNames(outcomes, { endRssMb: 120, soak: { firstHalfMb: 120, secondHalfMb: 130 } })).toEqual([]);
  });

  test("fail on a low ratio, a slow p99, non-2xx answers, too few req/s, too much memory or growth", () => {
    const outcomes = [
      measured("me-jwt", 20_000, 0.49, { latencyP99Ms: 11 }),
      measured("prospects-list", 900, 0.14, { non2xx: 3 }),
    ];
    expect(failedNames(outcomes, { endRssMb: 151, soak: { firstHalfMb: 100, secondHalfMb: 111 } })).toEqual([
      "me-jwt ratio to baseline",
      "me-jwt p99",
      "prospects-list req/s",
      "prospects-list non-2xx, errors, timeouts",
      "prospects-list ratio to baseline",
      "server RSS at the end",
      "soak RSS growth, second half over first",
    ]);
  });

  test("skip a scenario whose route is not built yet, and fail one that could not be measured", () => {
    const outcomes: ScenarioOutcome[] = [
      { id: "search", title: "GET /api/v1/search", status: "unavailable", note: "404" },
      { id: "cluster-me-jwt", title: "cluster", status: "failed", note: "did not start" },
    ];
    expect(checkTargets(outcomes, {})).toEqual([
      { name: "cluster-me-jwt measured", passed: false, actual: "did not start", expected: "a result" },
    ]);
  });

  test("print a table row per scenario, saying which are not available yet", () => {
    const table = textTable([
      measured("me-jwt", 31_234.4, 0.512),
      { id: "search", title: "GET /api/v1/search", status: "unavailable" },
    ]).split("\n");
    expect(table[0]).toMatch(/^scenario\s+req\/s\s+p50 ms\s+p99 ms\s+non-2xx\s+vs baseline\s+server CPU µs\/req$/);
    expect(table[2]).toMatch(/^GET \/me-jwt\s+31,234\s+1\s+4\s+0\s+0\.51\s*$/);
    expect(table[3]).toMatch(/^GET \/api\/v1\/search\s+not available yet\s*$/);
  });
});
