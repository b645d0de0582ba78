import { describe, expect, test } from "bun:test";
import { informational, type ReadinessCheck } from "../src/modules/health";
import { buildTestApp } from "./helpers/app";

function appWithChecks(readiness: Record<string, ReadinessCheck>, shuttingDown = false) {
  return buildTestApp({ deps: { readiness, lifecycle: { shuttingDown } } });
}

describe("GET /health", () => {
  test("answers the seed's shape, uncached", async () => {
    const response = await buildTestApp().request("/health");
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(response.headers.get("content-type") ?? "").toStartWith("application/json");
    const body = (await response.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(["memory", "status", "success", "timestamp", "uptime"]);
    expect(body).toMatchObject({ success: true, status: "healthy" });
    expect(Math.abs(Date.parse(body.timestamp as string) - Date.now())).toBeLessThan(60_000);
    expect(body.uptime).toBeNumber();
    expect(body.uptime as number).toBeGreaterThan(0);
    expect(body.memory).toEqual({
      rss: expect.any(Number),
      heapTotal: expect.any(Number),
      heapUsed: expect.any(Number),
    });
  });
});

describe("GET /health/ready", () => {
  test("answers 200 ready with a healthy database and a disabled redis", async () => {
    const { request } = appWithChecks({ database: async () => {}, redis: undefined });
    const response = await request("/health/ready");
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ success: true, status: "ready", checks: { database: "healthy", redis: "disabled" } });
    expect(body.checks).toEqual({ database: "healthy", redis: "disabled" });
  });

  test("answers 503 not_ready when a check rejects", async () => {
    const { request } = appWithChecks({
      database: async () => {},
      redis: async () => {
        throw new Error("ECONNREFUSED 127.0.0.1:6379");
      },
    });
    const response = await request("/health/ready");
    expect(response.status).toBe(503);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ success: false, status: "not_ready" });
    expect(body.checks).toEqual({ database: "healthy", redis: "unhealthy" });
    expect(JSON.stringify(body)).not.toContain("ECONNREFUSED");
  });

  test("reports an informational check (smtp) as unhealthy but stays ready", async () => {
    const { request } = appWithChecks({
      database: async () => {},
      smtp: informational(async () => {
        throw new Error("relay down");
      }),
    });
    const response = await request("/health/ready");
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ success: true, status: "ready" });
    expect(body.checks).toEqual({ database: "healthy", smtp: "unhealthy" });
  });

  test("answers 503 within a second when a check never settles", async () => {
    const { request } = appWithChecks({ database: () => new Promise(() => {}) });
    const startedAt = performance.now();
    const response = await request("/health/ready");
    expect(performance.now() - startedAt).toBeLessThan(1000);
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({
      success: false,
      status: "not_ready",
      checks: { database: "unhealthy" },
    });
  });

  test("answers 503 shutting_down once shutdown has begun, even with healthy checks", async () => {
    const { request } = appWithChecks({ database: async () => {} }, true);
    const response = await request("/health/ready");
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ success: false, status: "shutting_down" });
  });

  test("follows the lifecycle flag of the running app", async () => {
    const { request, deps } = appWithChecks({ database: async () => {} });
    expect((await request("/health/ready")).status).toBe(200);
    deps.lifecycle.shuttingDown = true;
    expect((await request("/health/ready")).status).toBe(503);
  });
});
