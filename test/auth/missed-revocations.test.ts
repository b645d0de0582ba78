import { afterAll, afterEach, beforeAll, describe, expect, setSystemTime, test } from "bun:test";
import type { App } from "../../src/app";
import { createRevocationBus, type RevocationBus } from "../../src/modules/auth/revocation-bus";
import { createMemoryLogger } from "../../src/observability/logger";
import { closeRedis, type RedisConnection } from "../../src/redis/client";
import { expectErrorEnvelope } from "../helpers/app";
import { createTestDatabase, dialects, type TestDatabase } from "../helpers/database";
import { type FaultProxy, startFaultProxy } from "../helpers/fault-proxy";
import { bearer, jsonRequest, login, type SeededOrganization, seedOrganization } from "../helpers/fixtures";
import { redisAvailable, redisUrl } from "../ratelimit/support";
import { appInstance, redisBus } from "./instances";

/**
 * Revocations an instance did not hear: Redis pub/sub keeps nothing for a subscriber that is away.
 * Two app instances on one database; the second's subscription goes through a fault proxy.
 */
describe("revocations another instance missed", () => {
  let database: TestDatabase;
  let org: SeededOrganization;
  const redisConnections: RedisConnection[] = [];

  beforeAll(async () => {
    database = await createTestDatabase(dialects.includes("postgres") ? "postgres" : "sqlite");
    org = await seedOrganization(database.db, "Missed Revocations");
  });
  afterEach(() => setSystemTime());
  afterAll(async () => {
    for (const connection of redisConnections) await closeRedis(connection);
    await database.drop();
  });

  const instance = (bus: RevocationBus) => appInstance(database.db, bus);
  const me = (app: App, token: string) =>
    app.handle(new Request("http://localhost/api/v1/me", { headers: bearer(token) }));
  const logout = (app: App, token: string) =>
    app.handle(jsonRequest("POST", "/api/v1/auth/logout", undefined, bearer(token)));

  test("without any message, a session logged out on one instance is refused by the other within a minute", async () => {
    const logger = createMemoryLogger();
    // No Redis at all: each instance hears only its own events.
    const first = instance(createRevocationBus({ logger }));
    const second = instance(createRevocationBus({ logger }));
    const { accessToken } = await login(first, org.user);
    expect((await me(second, accessToken)).status).toBe(200);
    expect((await logout(first, accessToken)).status).toBe(200);
    // The second still has the principal cached, as it had before any re-read was due.
    expect((await me(second, accessToken)).status).toBe(200);

    setSystemTime(new Date(Date.now() + 61_000));
    await expectErrorEnvelope(await me(second, accessToken), 401, "Unauthorized");
  });

  describe.skipIf(!redisAvailable)("through Redis", () => {
    let proxy: FaultProxy;

    beforeAll(async () => {
      const url = new URL(redisUrl);
      proxy = await startFaultProxy(url.hostname, Number(url.port || 6379));
    });
    afterAll(() => proxy?.close());

    const bus = (subscriberUrl: string) => redisBus(redisConnections, subscriberUrl);

    // How the link breaks: Redis's port refusing, a load balancer or pooler in front of it that
    // accepts and closes at once because Redis behind it is gone (both end the live connection),
    // or a partition (the connection stays open, nothing goes through until it heals).
    test.each(["refuse", "acceptThenClose", "blackhole"] as const)(
      "a session logged out while the other's subscription was down (%s) is refused there once it is back",
      async (breakLink) => {
        const first = instance(await bus(redisUrl));
        const second = instance(await bus(`redis://127.0.0.1:${proxy.port}`));
        // Both SUBSCRIBEs answered.
        await Bun.sleep(100);
        const { accessToken } = await login(first, org.user);
        expect((await me(second, accessToken)).status).toBe(200);

        proxy[breakLink]();
        expect((await logout(first, accessToken)).status).toBe(200);
        await Bun.sleep(100);
        // Published while the second was away: it never heard, and still has the principal.
        expect((await me(second, accessToken)).status).toBe(200);

        proxy.heal();
        const deadline = Date.now() + 5000;
        while ((await me(second, accessToken)).status === 200 && Date.now() < deadline) await Bun.sleep(50);
        await expectErrorEnvelope(await me(second, accessToken), 401, "Unauthorized");
      },
      15_000,
    );
  });
});
