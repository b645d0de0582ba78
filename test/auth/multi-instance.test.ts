import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { App } from "../../src/app";
import { closeRedis, type RedisConnection } from "../../src/redis/client";
import { expectErrorEnvelope } from "../helpers/app";
import { createTestDatabase, dialects, type TestDatabase } from "../helpers/database";
import { bearer, bodyOf, jsonRequest, login, type SeededOrganization, seedOrganization } from "../helpers/fixtures";
import { redisAvailable } from "../ratelimit/support";
import { appInstance, redisBus } from "./instances";

/** Two app instances on one database, each with its own caches and its own Redis connections. */
describe.skipIf(!redisAvailable)("revocation across instances through Redis pub/sub", () => {
  let database: TestDatabase;
  let first: App;
  let second: App;
  let org: SeededOrganization;
  const connections: RedisConnection[] = [];

  const instance = async () => appInstance(database.db, await redisBus(connections));

  beforeAll(async () => {
    database = await createTestDatabase(dialects.includes("postgres") ? "postgres" : "sqlite");
    first = await instance();
    second = await instance();
    org = await seedOrganization(database.db, "Two Instances");
    // Let both SUBSCRIBE commands reach Redis.
    await Bun.sleep(100);
  });
  afterAll(async () => {
    for (const connection of connections) await closeRedis(connection);
    await database.drop();
  });

  const me = (app: App, authorization: string) =>
    app.handle(new Request("http://localhost/api/v1/me", { headers: { authorization } }));

  test("a key revoked on one instance is refused by the other, whose cache held it", async () => {
    const admin = (await login(first, org.admin)).accessToken;
    const created = (
      await bodyOf(await first.handle(jsonRequest("POST", "/api/v1/api-keys", { name: "shared" }, bearer(admin))))
    ).data;
    expect((await me(second, `ApiKey ${created.key}`)).status).toBe(200);
    const revoke = await first.handle(
      new Request(`http://localhost/api/v1/api-keys/${created.id}`, { method: "DELETE", headers: bearer(admin) }),
    );
    expect(revoke.status).toBe(200);
    await Bun.sleep(50);
    await expectErrorEnvelope(await me(second, `ApiKey ${created.key}`), 401, "Unauthorized");
  });

  /** A second admin, signed in on the first instance, with an admin key; its admin rights cached on the second. */
  const adminKeyCachedOnSecond = async (email: string) => {
    const admin = (await login(first, org.admin)).accessToken;
    const password = "long enough password";
    const made = await first.handle(
      jsonRequest("POST", "/api/v1/users", { email, password, role: "admin" }, bearer(admin)),
    );
    const creator = (await bodyOf(made)).data;
    const token = (await login(first, { email, password })).accessToken;
    const key = (
      await bodyOf(
        await first.handle(jsonRequest("POST", "/api/v1/api-keys", { name: email, role: "admin" }, bearer(token))),
      )
    ).data;
    expect((await listUsers(second, key.key)).status).toBe(200);
    return { admin, creator, key };
  };
  const listUsers = (app: App, key: string) =>
    app.handle(new Request("http://localhost/api/v1/users", { headers: { authorization: `ApiKey ${key}` } }));
  /** Pub/sub is asynchronous: the next request after the event has travelled (milliseconds). */
  const settle = () => Bun.sleep(50);

  test("demoting a key's creator on one instance takes the key's admin rights away on the other", async () => {
    const { admin, creator, key } = await adminKeyCachedOnSecond("demoted@two-instances.example.com");
    const demote = await first.handle(
      jsonRequest("PATCH", `/api/v1/users/${creator.id}`, { role: "viewer" }, bearer(admin)),
    );
    expect(demote.status).toBe(200);
    await settle();
    await expectErrorEnvelope(await listUsers(second, key.key), 403, "Forbidden");
    expect((await bodyOf(await me(second, `ApiKey ${key.key}`))).data.apiKey.role).toBe("viewer");
  });

  test("deleting a key's creator on one instance makes the other refuse the key", async () => {
    const { admin, creator, key } = await adminKeyCachedOnSecond("deleted@two-instances.example.com");
    const removed = await first.handle(
      new Request(`http://localhost/api/v1/users/${creator.id}`, { method: "DELETE", headers: bearer(admin) }),
    );
    expect(removed.status).toBe(200);
    await settle();
    await expectErrorEnvelope(await listUsers(second, key.key), 401, "Unauthorized");
  });

  test("a session logged out on one instance is refused by the other", async () => {
    const pair = await login(first, org.user);
    expect((await me(second, `Bearer ${pair.accessToken}`)).status).toBe(200);
    const out = await first.handle(jsonRequest("POST", "/api/v1/auth/logout", undefined, bearer(pair.accessToken)));
    expect(out.status).toBe(200);
    await Bun.sleep(50);
    await expectErrorEnvelope(await me(second, `Bearer ${pair.accessToken}`), 401, "Unauthorized");
  });
});
