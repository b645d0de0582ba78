import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { App } from "../../src/app";
import { buildTestApp, expectErrorEnvelope } from "../helpers/app";
import { createTestDatabase, dialects, type TestDatabase } from "../helpers/database";
import {
  bearer,
  bodyOf,
  cheapHashEnv,
  jsonRequest,
  login,
  type SeededOrganization,
  seedOrganization,
} from "../helpers/fixtures";

describe.each(dialects)("sessions on %s", (dialect) => {
  let database: TestDatabase;
  let app: App;
  let org: SeededOrganization;

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    app = buildTestApp({ env: cheapHashEnv, deps: { db: database.db } }).app;
    org = await seedOrganization(database.db, "Sessions Ltd");
  });
  afterAll(() => database.drop());

  const refresh = (refreshToken: string) => app.handle(jsonRequest("POST", "/api/v1/auth/refresh", { refreshToken }));
  const me = (token: string) => app.handle(new Request("http://localhost/api/v1/me", { headers: bearer(token) }));

  test("refresh returns a new pair in the seed's shape and retires the old refresh token", async () => {
    const first = await login(app, org.user);
    const response = await refresh(first.refreshToken);
    expect(response.status).toBe(200);
    const body = await bodyOf(response);
    expect(Object.keys(body.data).sort()).toEqual(["accessToken", "refreshToken"]);
    expect(body.data.refreshToken).not.toBe(first.refreshToken);
    expect((await me(body.data.accessToken)).status).toBe(200);
  });

  test("a retired refresh token presented again revokes the whole session", async () => {
    const first = await login(app, org.user);
    const second = (await bodyOf(await refresh(first.refreshToken))).data;
    const reuse = await refresh(first.refreshToken);
    const body = await expectErrorEnvelope(reuse, 401, "Unauthorized");
    expect(body.message).toContain("revoked");
    // Every token of that session is dead now, including the newest pair.
    await expectErrorEnvelope(await refresh(second.refreshToken), 401, "Unauthorized");
    await expectErrorEnvelope(await me(second.accessToken), 401, "Unauthorized");
  });

  test("concurrent refreshes with one token: one wins, the session does not survive a replay", async () => {
    const pair = await login(app, org.user);
    const results = await Promise.all([refresh(pair.refreshToken), refresh(pair.refreshToken)]);
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toContain(401);
  });

  test("logout revokes the current session only", async () => {
    const a = await login(app, org.viewer);
    const b = await login(app, org.viewer);
    const out = await app.handle(jsonRequest("POST", "/api/v1/auth/logout", undefined, bearer(a.accessToken)));
    expect(out.status).toBe(200);
    expect((await bodyOf(out)).data).toEqual({ sessionsRevoked: 1 });
    await expectErrorEnvelope(await me(a.accessToken), 401, "Unauthorized");
    await expectErrorEnvelope(await refresh(a.refreshToken), 401, "Unauthorized");
    expect((await me(b.accessToken)).status).toBe(200);
  });

  test('logout with {"scope":"global"} revokes every session of the user', async () => {
    const a = await login(app, org.admin);
    const b = await login(app, org.admin);
    const out = await app.handle(
      jsonRequest("POST", "/api/v1/auth/logout", { scope: "global" }, bearer(a.accessToken)),
    );
    expect(out.status).toBe(200);
    expect((await bodyOf(out)).data.sessionsRevoked).toBeGreaterThanOrEqual(2);
    await expectErrorEnvelope(await me(a.accessToken), 401, "Unauthorized");
    await expectErrorEnvelope(await me(b.accessToken), 401, "Unauthorized");
  });

  test("changing a user's role revokes their sessions", async () => {
    const admin = await login(app, org.admin);
    const victim = await login(app, org.user);
    const patch = await app.handle(
      jsonRequest("PATCH", `/api/v1/users/${org.user.id}`, { role: "viewer" }, bearer(admin.accessToken)),
    );
    expect(patch.status).toBe(200);
    await expectErrorEnvelope(await me(victim.accessToken), 401, "Unauthorized");
    const again = await login(app, org.user);
    expect((await bodyOf(await me(again.accessToken))).data.user.role).toBe("viewer");
  });

  test("a refresh token with a bad signature is 401", async () => {
    const pair = await login(app, org.admin);
    await expectErrorEnvelope(await refresh(`${pair.refreshToken.slice(0, -3)}abc`), 401, "Unauthorized");
  });

  test("an access token used as a refresh token is 401", async () => {
    const pair = await login(app, org.admin);
    await expectErrorEnvelope(await refresh(pair.accessToken), 401, "Unauthorized");
  });
});
