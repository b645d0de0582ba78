import { describe, expect, test } from "bun:test";
import type { LoadResult } from "../../bench/load-spec";
import { columns, dependencyLine, tableRows, textTable } from "../../bench/report";
import { checkTargets, type PeerOutcome, type ScenarioOutcome } from "../../bench/targets";

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

const failedNames = (outcomes: ScenarioOutcome[], memory = {}, peers: PeerOutcome[] = []) =>
  checkTargets(outcomes, memory, undefined, peers)
    .filter((c) => !c.passed)
    .map((c) => c.name);

const peer = (id: string, ratio: number): PeerOutcome => ({
  id,
  title: id,
  status: "measured",
  ratio,
  result: measured(id, 10_000, 1).result,
  api: measured("me-jwt", 10_000 * ratio, 1).result,
});

describe("bench target checks", () => {
  test("pass when every scenario meets issue 20's numbers", () => {
    const outcomes = [
      measured("me-jwt", 30_000, 0.51),
      measured("me-api-key", 28_000, 0.5),
      measured("prospects-list", 5000, 0.2),
      measured("search", 1500, 0.03),
    ];
    const peers = [peer("elysia", 2.6), peer("fastify", 4)];
    expect(failedNames(outcomes, { endRssMb: 120, soak: { firstHalfMb: 120, secondHalfMb: 130 } }, peers)).toEqual([]);
  });

  test("fail on a low ratio to the ceiling, a p99 over 5 ms, non-2xx answers, too few req/s, too much memory or growth", () => {
    const outcomes = [
      measured("me-jwt", 20_000, 0.49, { latencyP99Ms: 5.1 }),
      measured("me-api-key", 20_000, 0.49),
      measured("prospects-list", 900, 0.19, { non2xx: 3 }),
    ];
    expect(failedNames(outcomes, { endRssMb: 151, soak: { firstHalfMb: 100, secondHalfMb: 111 } })).toEqual([
      "me-jwt ratio to its ceiling",
      "me-jwt p99",
      "me-api-key ratio to its ceiling",
      "prospects-list req/s",
      "prospects-list non-2xx, errors, timeouts",
      "prospects-list ratio to its ceiling",
      "server RSS at the end",
      "soak RSS growth, second half over first",
    ]);
  });

  test("fail when /me is not 2.5 times any peer, or a peer could not be measured", () => {
    const peers: PeerOutcome[] = [
      peer("elysia", 2.49),
      peer("hono", 3),
      { id: "fastify", title: "fastify", status: "failed", note: "npm ci failed" },
    ];
    expect(failedNames([], {}, peers)).toEqual(["me-jwt over peer elysia", "peer fastify measured"]);
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
    expect(table[0]).toMatch(
      /^scenario\s+req\/s\s+p50 ms\s+p99 ms\s+non-2xx\s+ceiling req\/s\s+ceiling p99 ms\s+vs ceiling\s+vs baseline\s+server CPU µs\/req\s+ceiling µs\/req\s+server waited %\s+generator CPU %$/,
    );
    expect(table[2]).toMatch(/^GET \/me-jwt\s+31,234\s+1\.00\s+4\.00\s+0\s+0\.51\s*$/);
    expect(table[3]).toMatch(/^GET \/api\/v1\/search\s+not available yet\s*$/);
  });

  test("show the share of each run the server waited for its core, the API's beside its ceiling's", () => {
    const me = {
      ...measured("me-jwt", 30_000, 0.4, { generatorCpuPercent: 41 }),
      serverWaitPercent: 12.4,
      ceiling: {
        result: measured("c", 75_000, 1, { generatorCpuPercent: 80 }).result as LoadResult,
        serverWaitPercent: 0.6,
      },
    };
    const [row = []] = tableRows([me]);
    const cell = (name: (typeof columns)[number]) => row[columns.indexOf(name)];
    expect(cell("server waited %")).toBe("12 / 1");
    expect(cell("generator CPU %")).toBe("41 / 80");
    expect(row).toHaveLength(columns.length);
  });

  test("say what Postgres and Redis spent per request of each scenario that measured it", () => {
    const me = { ...measured("me-jwt", 20_000, 0.4), dependencyCpuUs: { postgres: 10.04, redis: 0.5 } };
    expect(dependencyLine([me, measured("search", 1500, 0.1)])).toBe(
      "Postgres / Redis CPU µs a request (same cores): me-jwt 10.0 / 0.5.",
    );
    expect(dependencyLine([measured("search", 1500, 0.1)])).toBeUndefined();
  });
});
