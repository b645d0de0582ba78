import { beforeAll, describe, expect, test } from "bun:test";
import { dialects } from "../helpers/database";
import { redisAvailable } from "../ratelimit/support";
import { expectErrorBody } from "./support/envelope";
import { type FaultsScenarioResult, runFaultsScenario, statusesByPath } from "./support/faults-scenario";
import { serverErrors } from "./support/load";

const phaseMs = 1200;
const prospects = "/api/v1/prospects?limit=5";

describe.skipIf(!dialects.includes("postgres") || !redisAvailable)(
  "Redis partitioned (blackhole), then Postgres refusing, then both restored under a steady load, without a restart",
  () => {
    let result: FaultsScenarioResult;
    const table = (phase: keyof FaultsScenarioResult["phases"]) => statusesByPath(result.phases[phase]);

    beforeAll(async () => {
      result = await runFaultsScenario({ rate: 150, phaseMs });
    }, 40_000);

    test("no request failed at the socket, and the only 5xx are 503s of routes that need the database", () => {
      expect(result.load.errors).toEqual({ refused: 0, reset: 0, timeout: 0, other: 0 });
      expect(serverErrors(result.load)).toBe(result.load.statuses[503] ?? 0);
    });

    test("before any fault every request succeeds", () => {
      expect(Object.keys(table("baseline")).sort()).toEqual(["/api/v1/me", prospects, "/health"].sort());
      for (const byStatus of Object.values(table("baseline"))) expect(Object.keys(byStatus)).toEqual(["200"]);
    });

    test("with Redis gone, requests keep succeeding under in-memory limits and readiness names Redis", () => {
      for (const byStatus of Object.values(table("redisDown"))) expect(Object.keys(byStatus)).toEqual(["200"]);
      expect(result.redisDownReady.status).toBe(503);
      expect(result.redisDownReady.body).toMatchObject({
        success: false,
        status: "not_ready",
        checks: { database: "healthy", redis: "unhealthy" },
      });
    });

    test("with Postgres gone too, readiness turns 503 within a second and names the database", () => {
      expect(result.readinessNoticedMs).toBeLessThan(1000);
      expect(result.duringOutage.ready.status).toBe(503);
      expect(result.duringOutage.ready.body).toMatchObject({ checks: { database: "unhealthy", redis: "unhealthy" } });
    });

    test("with Postgres gone, a route that needs it answers 503 with Retry-After, for a fresh and for a cached token", () => {
      for (const probe of [result.duringOutage.freshProspects, result.duringOutage.cachedProspects]) {
        expect(probe.status).toBe(503);
        expect(probe.retryAfter).toBe("5");
        expectErrorBody(probe.body, 503);
        expect(probe.body.message).toBe("Database unavailable, please retry");
      }
      const listed = result.phases.bothDown.filter((o) => o.path === prospects);
      expect(listed.length).toBeGreaterThan(0);
      expect(listed.every((o) => o.status === 503 && o.retryAfter === "5")).toBe(true);
    });

    test("with Postgres gone, /health and /api/v1/me with an already-checked token keep answering 200", () => {
      expect(result.duringOutage.health.status).toBe(200);
      expect(result.duringOutage.cachedMe.status).toBe(200);
      expect(result.duringOutage.cachedMe.body).toMatchObject({ success: true, data: { user: { role: "user" } } });
      expect(table("bothDown")["/health"]).toEqual({ 200: expect.any(Number) });
      expect(table("bothDown")["/api/v1/me"]).toEqual({ 200: expect.any(Number) });
    });

    test("once both are back, readiness is 200 and the database routes answer again, with no restart", () => {
      expect(result.recoveredMs).toBeLessThan(5000);
      expect(result.afterRecovery.ready.body).toMatchObject({
        status: "ready",
        checks: { database: "healthy", redis: "healthy" },
      });
      expect(result.afterRecovery.freshProspects.status).toBe(200);
      for (const byStatus of Object.values(table("recovered"))) expect(Object.keys(byStatus)).toEqual(["200"]);
    });

    test("every /api/v1 response, including those served while Postgres was gone, has its api_usage row after a clean exit", () => {
      expect(result.exitCode).toBe(0);
      expect(result.usageRows).toBe(result.apiResponses);
    });
  },
);
