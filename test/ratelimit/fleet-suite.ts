import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createTestDatabase, dialects, type TestDatabase } from "../helpers/database";
import { cheapHashEnv, type SeededOrganization, seedOrganization } from "../helpers/fixtures";
import { type ServerProcess, startServer } from "../server/server-process";
import { expectOneSharedCount, redisCheck, testPrefix } from "./support";

/** A started Redis deployment, as the fleet suite needs it. */
export interface FleetTopology {
  /** REDIS_* settings that point a server at it. */
  env: Record<string, string>;
  /** The count Redis holds for `key` now (0 when absent). */
  count(key: string): Promise<number>;
  /** Kills the master that serves `key` (SIGKILL). */
  killMasterOf(key: string): Promise<void>;
  /** Resolves once a replica has taken over and the deployment serves every key again. */
  failedOver(): Promise<void>;
  stop(): Promise<void>;
}

const servers = 4;
const fallbackWarning = "rate limiter: Redis unavailable, counting in process memory";
const recoveryNotice = "rate limiter: Redis answers again, counting in Redis";

/**
 * Four `bun src/server.ts` processes on one database and one Redis deployment (`start`), leases
 * on (the default): the limit holds across them exactly, a revocation on one reaches the others,
 * and losing the master of a busy key's slot costs no 5xx and heals itself.
 */
export function fleetSuite(name: string, start: () => Promise<FleetTopology>) {
  describe(`a fleet of four server processes on ${name}`, () => {
    const prefix = testPrefix();
    let topology: FleetTopology;
    let database: TestDatabase;
    let org: SeededOrganization;
    let fleet: ServerProcess[] = [];

    beforeAll(async () => {
      [topology, database] = await Promise.all([
        start(),
        createTestDatabase(dialects.includes("postgres") ? "postgres" : "sqlite", { file: true }),
      ]);
      org = await seedOrganization(database.db, "Fleet");
      const env = {
        ...cheapHashEnv,
        ...topology.env,
        NODE_ENV: "test",
        LOG_FORMAT: "none",
        DATABASE_URL: database.url,
        JWT_SECRET: "fleet-access-secret-0123456789abcdefghijklmnop",
        JWT_REFRESH_SECRET: "fleet-refresh-secret-0123456789abcdefghijklmn",
        RATE_LIMIT_PREFIX: prefix,
        TRUST_PROXY: "1",
        RATE_LIMIT_AUTH_MAX: "100",
        RATE_LIMIT_MAX: "1000000",
        // Four servers, six Redis and the load on a shared machine: a late reply must not pass for
        // an outage here; a master that is gone (below) is still given up on long before its replica
        // takes over (cluster-node-timeout 1 s, Sentinel down-after 1 s).
        RATE_LIMIT_REDIS_TIMEOUT_MS: "200",
      };
      fleet = await Promise.all(Array.from({ length: servers }, () => startServer(env, { startMs: 20_000 })));
    }, 60_000);
    afterAll(async () => {
      await Promise.all(fleet.map((s) => s.dispose()));
      await Promise.all([topology?.stop(), database?.drop()]);
    }, 30_000);

    const call = (i: number, path: string, init: RequestInit & { from?: string } = {}) =>
      fetch(`${(fleet[i % servers] as ServerProcess).base}${path}`, {
        ...init,
        headers: { "x-forwarded-for": init.from ?? "198.51.100.7", ...(init.headers as Record<string, string>) },
      });
    const signIn = async (user: { email: string; password: string }) => {
      const response = await call(0, "/api/v1/auth/login", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email: user.email, password: user.password }),
      });
      expect(response.status).toBe(200);
      return ((await response.json()) as { data: { accessToken: string } }).data.accessToken;
    };

    test("lets exactly 100 of 300 concurrent login attempts through, whichever process answers", async () => {
      const from = "203.0.113.9";
      const responses = await Promise.all(
        Array.from({ length: 300 }, (_, i) =>
          call(i, "/api/v1/auth/login", {
            method: "POST",
            from,
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ email: `nobody-${i}@example.com`, password: "not-the-password" }),
          }),
        ),
      );
      expectOneSharedCount(responses, 100);
      await Promise.all(responses.map((r) => r.arrayBuffer()));
      expect(await topology.count(`${prefix}auth:{ip:${from}}`)).toBe(100);
      for (const server of fleet) expect(server.stderr()).not.toContain(fallbackWarning);
      for (const server of fleet) expect(await redisCheck(server, "healthy", 0)).toBe("healthy");
    }, 30_000);

    test("an API key revoked on one process is refused by the other three, whose caches held it", async () => {
      const admin = await signIn(org.admin);
      const created = await call(0, "/api/v1/api-keys", {
        method: "POST",
        headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
        body: JSON.stringify({ name: "fleet", role: "user" }),
      });
      expect(created.status).toBe(201);
      const key = ((await created.json()) as { data: { id: string; key: string } }).data;
      const me = (i: number) => call(i, "/api/v1/me", { headers: { authorization: `ApiKey ${key.key}` } });
      for (const i of [1, 2, 3]) expect((await me(i)).status).toBe(200);
      const revoked = await call(0, `/api/v1/api-keys/${key.id}`, {
        method: "DELETE",
        headers: { authorization: `Bearer ${admin}` },
      });
      expect(revoked.status).toBe(200);
      // Their caches would keep the key for 60 s; only the revocation message can make them refuse it now.
      for (const i of [1, 2, 3]) {
        const deadline = Date.now() + 3000;
        let status = (await me(i)).status;
        while (status === 200 && Date.now() < deadline) {
          await Bun.sleep(25);
          status = (await me(i)).status;
        }
        expect(status).toBe(401);
      }
    }, 30_000);

    test("losing the master of a busy key's slot under load: no 5xx, counting in memory, then in Redis again", async () => {
      const token = await signIn(org.user);
      const key = `${prefix}general:{user:${org.user.id}}`;
      const statuses = new Map<number, number>();
      let running = true;
      // Eight clients per process, one request after another, as long as the test runs.
      const load = Array.from({ length: servers * 8 }, async (_, i) => {
        while (running) {
          const response = await call(i, "/api/v1/me", { headers: { authorization: `Bearer ${token}` } });
          await response.arrayBuffer();
          statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        }
      });
      try {
        await Bun.sleep(500);
        const before = await topology.count(key);
        expect(before).toBeGreaterThan(0);
        await topology.killMasterOf(key);
        await topology.failedOver();
        // Every process finds the new master by itself and counts in Redis again: readiness says so
        // (it fails while the limiter counts in memory). A process whose slice outlasted the outage
        // may never have needed memory; the others did, and say they are back.
        const fellBack = fleet.filter((s) => s.stderr().includes(fallbackWarning));
        expect(fellBack.length).toBeGreaterThan(0);
        const deadline = Date.now() + 30_000;
        while (Date.now() < deadline && !fellBack.every((s) => s.stderr().includes(recoveryNotice))) {
          await Bun.sleep(100);
        }
        for (const server of fellBack) expect(server.stderr()).toContain(recoveryNotice);
        for (const server of fleet) expect(await redisCheck(server, "healthy", 30_000)).toBe("healthy");
        const resumed = await topology.count(key);
        await Bun.sleep(500);
        expect(await topology.count(key)).toBeGreaterThan(resumed);
      } finally {
        running = false;
        await Promise.all(load);
      }
      expect([...statuses.keys()]).toEqual([200]);
    }, 60_000);
  });
}
