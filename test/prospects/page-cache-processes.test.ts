import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createTestDatabase, dialects, type TestDatabase } from "../helpers/database";
import { type SeededOrganization, seedOrganization } from "../helpers/fixtures";
import { adminRedis, redisAvailable, redisUrl } from "../ratelimit/support";
import { loginOver } from "../reliability/support/client";
import { productionEnv, type RunningServer, spawnServer } from "../reliability/support/server";
import { insertProspects } from "./support";

interface Page {
  data: Array<{ email: string }>;
}

/**
 * Two production server processes (`bun src/server.ts`, as pods run it) on one Postgres and one
 * Redis: the page cache as dependencies.ts wires it, seen over HTTP.
 */
describe.skipIf(!redisAvailable || !dialects.includes("postgres"))("the page cache across two server processes", () => {
  let database: TestDatabase;
  let org: SeededOrganization;
  const servers: RunningServer[] = [];
  const admin = adminRedis();

  beforeAll(async () => {
    database = await createTestDatabase("postgres");
    org = await seedOrganization(database.db, "Two Pods");
    for (let i = 0; i < 2; i++) {
      servers.push(
        await spawnServer({
          ...productionEnv,
          DATABASE_URL: database.url,
          REDIS_URL: redisUrl,
          RATE_LIMIT_PREFIX: `page-cache:${Bun.randomUUIDv7().slice(-12)}:`,
          LOG_FORMAT: "none",
          SHUTDOWN_DELAY_MS: "0",
        }),
      );
    }
  }, 30_000);
  afterAll(async () => {
    for (const server of servers) await server.dispose();
    if (org) await admin.del(`revenue-api:generation:${org.id}`);
    await admin.quit();
    await database?.drop();
  });

  test("a page is kept by a process, and a prospect created through the other is in its next page", async () => {
    const [first, second] = servers as [RunningServer, RunningServer];
    const token = await loginOver(first.base, org.user.email, org.user.password, "page-cache-test");
    const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
    const listed = async (server: RunningServer) => {
      const response = await fetch(`${server.base}/api/v1/prospects?limit=100`, { headers });
      expect(response.status).toBe(200);
      return ((await response.json()) as Page).data.map((p) => p.email);
    };
    // The organization's first read starts its generation; the second is kept.
    await listed(second);
    await listed(second);
    await insertProspects(database.db, org.id, [{ email: "around@two-pods.example.com" }]);
    expect(await listed(second)).not.toContain("around@two-pods.example.com");

    const created = await fetch(`${first.base}/api/v1/prospects`, {
      method: "POST",
      headers,
      body: JSON.stringify({ email: "through-the-other@two-pods.example.com" }),
    });
    expect(created.status).toBe(201);
    const next = await listed(second);
    expect(next).toContain("through-the-other@two-pods.example.com");
    expect(next).toContain("around@two-pods.example.com");

    const scrape = await fetch(`${second.base}/metrics`, {
      headers: { authorization: `Bearer ${productionEnv.METRICS_TOKEN}` },
    });
    expect(await scrape.text()).toMatch(/^page_cache_reads_total\{result="hit"\} [1-9]/m);
  });
});
