import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { cheapHashEnv } from "../helpers/fixtures";
import { type ServerProcess, startServer } from "../server/server-process";
import { adminRedis, deleteKeys, expectOneSharedCount, redisAvailable, redisUrl, testPrefix } from "./support";

/** Four `bun src/server.ts` processes, each with its own database, sharing one Redis. */
describe.skipIf(!redisAvailable)("rate limits across server processes", () => {
  const prefix = testPrefix();
  let servers: ServerProcess[] = [];

  beforeAll(async () => {
    const env = {
      ...cheapHashEnv,
      NODE_ENV: "test",
      LOG_FORMAT: "none",
      REDIS_URL: redisUrl,
      RATE_LIMIT_PREFIX: prefix,
      RATE_LIMIT_AUTH_MAX: "100",
      // General must not be the limit that bites: this test is about the auth policy.
      RATE_LIMIT_MAX: "10000",
    };
    // A loaded machine (CI beside other suites) can take more than the default 5 s to start four.
    servers = await Promise.all([1, 2, 3, 4].map(() => startServer(env, { startMs: 20_000 })));
  }, 30_000);
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.dispose()));
    const admin = adminRedis();
    await deleteKeys(admin, prefix);
    admin.disconnect();
  });

  test("lets exactly 100 of 300 concurrent login attempts through, whichever process answers", async () => {
    const attempts = Array.from({ length: 300 }, (_, i) =>
      fetch(`${(servers[i % servers.length] as ServerProcess).base}/api/v1/auth/login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email: `nobody-${i}@example.com`, password: "not-the-password" }),
      }),
    );
    const responses = await Promise.all(attempts);
    expectOneSharedCount(responses, 100);
    for (const response of responses.filter((r) => r.status === 429)) {
      expect(response.headers.get("x-ratelimit-limit")).toBe("100");
      expect(Number(response.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    }
    await Promise.all(responses.map((r) => r.arrayBuffer()));
    // A burst on cold processes must not be mistaken for a Redis outage.
    for (const server of servers) expect(server.stderr()).not.toContain("rate limiter: Redis unavailable");
  }, 30_000);

  test("each process reports Redis as healthy in readiness", async () => {
    for (const server of servers) {
      const response = await fetch(`${server.base}/health/ready`);
      const body = (await response.json()) as { checks: Record<string, string> };
      expect(body.checks.redis).toBe("healthy");
    }
  });
});
