import { afterEach, describe, expect, test } from "bun:test";
import { createApp } from "../../src/app";
import { openDatabase } from "../../src/db/database";
import { toNumber } from "../../src/db/values";
import { buildDependencies } from "../../src/dependencies";
import { createMemoryLogger } from "../../src/observability/logger";
import { testConfig } from "../helpers/app";
import { createTestDatabase, type TestDatabase } from "../helpers/database";
import { cheapHashEnv, jsonRequest, login, seedOrganization } from "../helpers/fixtures";
import { parsePrometheusText, sampleValue } from "./prometheus-text";
import { type SentryReceiver, startSentryReceiver } from "./sentry-receiver";

/** The app as server.ts builds it from the configuration, on a SQLite file, shut down as a SIGTERM would. */
describe("observability as buildDependencies wires it", () => {
  let database: TestDatabase | undefined;
  let receiver: SentryReceiver | undefined;
  afterEach(async () => {
    await receiver?.close();
    await database?.drop();
  });

  const start = async (env: Record<string, string>) => {
    database = await createTestDatabase("sqlite", { file: true });
    const config = testConfig({
      ...cheapHashEnv,
      DATABASE_URL: database.url,
      USAGE_FLUSH_INTERVAL_MS: "60000",
      ...env,
    });
    const deps = await buildDependencies(config, createMemoryLogger());
    const app = createApp(deps.app);
    const shutdown = async () => {
      for (const step of deps.cleanup) await step();
    };
    /** Counted on a fresh connection, after the app's own has closed. */
    const usageRows = async () => {
      const reader = openDatabase(database?.url as string);
      try {
        return toNumber((await reader.sql`SELECT COUNT(*) AS n FROM api_usage`)[0].n);
      } finally {
        await reader.close();
      }
    };
    return { app, deps, shutdown, usageRows };
  };

  test("at shutdown writes the buffered usage rows before closing the database and delivers the Sentry event", async () => {
    receiver = startSentryReceiver();
    const { app, deps, shutdown, usageRows } = await start({ SENTRY_DSN: receiver.dsn });
    const org = await seedOrganization(deps.app.db, "Wired");
    const { accessToken } = await login(app, org.admin);
    expect(
      (await app.handle(jsonRequest("GET", "/api/v1/me", undefined, { authorization: `Bearer ${accessToken}` })))
        .status,
    ).toBe(200);
    expect((await app.handle(jsonRequest("GET", "/metrics"))).status).toBe(200);
    await deps.app.db.sql`ALTER TABLE users RENAME TO users_gone`;
    const failed = await app.handle(
      jsonRequest("POST", "/api/v1/auth/login", { email: org.user.email, password: "x-password-1" }),
    );
    expect(failed.status).toBe(500);

    await Bun.sleep(5);
    await shutdown();
    // login 200, me 200, login 500; /metrics is not an API request.
    expect(await usageRows()).toBe(3);
    const requestId = failed.headers.get("x-request-id");
    expect(receiver.events().map((e) => e.tags?.request_id)).toEqual([requestId]);
  });

  test("with USAGE_TRACKING=false records no usage rows and reports no usage buffer", async () => {
    const { app, shutdown, usageRows } = await start({ USAGE_TRACKING: "false" });
    expect((await app.handle(jsonRequest("GET", "/api/v1/me"))).status).toBe(401);
    await Bun.sleep(5);
    const families = parsePrometheusText(await (await app.handle(jsonRequest("GET", "/metrics"))).text());
    expect(families.has("usage_buffer_rows")).toBe(false);
    expect(sampleValue(families, "http_requests_total", { route: "/api/v1/me", status: "401" })).toBe(1);
    await shutdown();
    expect(await usageRows()).toBe(0);
  });

  test("reports readiness as /health/ready answers it, and not ready once shutting down", async () => {
    const { app, deps, shutdown } = await start({});
    const scrape = async () => parsePrometheusText(await (await app.handle(jsonRequest("GET", "/metrics"))).text());
    let families = await scrape();
    expect(sampleValue(families, "health_ready")).toBe(1);
    expect(sampleValue(families, "health_check_healthy", { check: "database" })).toBe(1);
    // No REDIS_URL: the check is disabled and has no series.
    expect(families.get("health_check_healthy")?.samples.map((sample) => sample.labels.check)).toEqual(["database"]);
    deps.app.lifecycle.shuttingDown = true;
    families = await scrape();
    expect(sampleValue(families, "health_ready")).toBe(0);
    expect((await app.handle(jsonRequest("GET", "/health/ready"))).status).toBe(503);
    await shutdown();
  });

  test("reports the rate-limit store: in memory without REDIS_URL", async () => {
    const { app, shutdown } = await start({});
    const families = parsePrometheusText(await (await app.handle(jsonRequest("GET", "/metrics"))).text());
    expect(sampleValue(families, "rate_limit_store_fallback")).toBe(1);
    expect(sampleValue(families, "usage_buffer_rows")).toBe(0);
    await shutdown();
  });
});
