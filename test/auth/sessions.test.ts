import { describe, expect, test } from "bun:test";
import { expectErrorEnvelope } from "../helpers/app";
import { dialects } from "../helpers/database";
import { bearer, bodyOf, jsonRequest, login } from "../helpers/fixtures";
import { useSeededApp } from "../helpers/seeded-app";

describe.each(dialects)("sessions on %s", (dialect) => {
  const suite = useSeededApp(dialect, ["Sessions Ltd"]);

  const refresh = (refreshToken: string) =>
    suite.app.handle(jsonRequest("POST", "/api/v1/auth/refresh", { refreshToken }));
  const me = (token: string) => suite.app.handle(new Request("http://localhost/api/v1/me", { headers: bearer(token) }));

  test("refresh returns a new pair in the seed's shape and retires the old refresh token", async () => {
    const first = await login(suite.app, suite.org.user);
    const response = await refresh(first.refreshToken);
    expect(response.status).toBe(200);
    const body = await bodyOf(response);
    expect(Object.keys(body.data).sort()).toEqual(["accessToken", "refreshToken"]);
    expect(body.data.refreshToken).not.toBe(first.refreshToken);
    expect((await me(body.data.accessToken)).status).toBe(200);
  });

  test("a retired refresh token presented again revokes the whole session", async () => {
    const first = await login(suite.app, suite.org.user);
    const second = (await bodyOf(await refresh(first.refreshToken))).data;
    const reuse = await refresh(first.refreshToken);
    const body = await expectErrorEnvelope(reuse, 401, "Unauthorized");
    expect(body.message).toContain("revoked");
    // Every token of that session is dead now, including the newest pair.
    await expectErrorEnvelope(await refresh(second.refreshToken), 401, "Unauthorized");
    await expectErrorEnvelope(await me(second.accessToken), 401, "Unauthorized");
  });

  test("concurrent refreshes with one token: one wins, the session does not survive a replay", async () => {
    const pair = await login(suite.app, suite.org.user);
    const results = await Promise.all([refresh(pair.refreshToken), refresh(pair.refreshToken)]);
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toContain(401);
  });

  test("logout revokes the current session only", async () => {
    const a = await login(suite.app, suite.org.viewer);
    const b = await login(suite.app, suite.org.viewer);
    const out = await suite.app.handle(jsonRequest("POST", "/api/v1/auth/logout", undefined, bearer(a.accessToken)));
    expect(out.status).toBe(200);
    expect((await bodyOf(out)).data).toEqual({ sessionsRevoked: 1 });
    await expectErrorEnvelope(await me(a.accessToken), 401, "Unauthorized");
    await expectErrorEnvelope(await refresh(a.refreshToken), 401, "Unauthorized");
    expect((await me(b.accessToken)).status).toBe(200);
  });

  test('logout with {"scope":"global"} revokes every session of the user', async () => {
    const a = await login(suite.app, suite.org.admin);
    const b = await login(suite.app, suite.org.admin);
    const out = await suite.app.handle(
      jsonRequest("POST", "/api/v1/auth/logout", { scope: "global" }, bearer(a.accessToken)),
    );
    expect(out.status).toBe(200);
    expect((await bodyOf(out)).data.sessionsRevoked).toBeGreaterThanOrEqual(2);
    await expectErrorEnvelope(await me(a.accessToken), 401, "Unauthorized");
    await expectErrorEnvelope(await me(b.accessToken), 401, "Unauthorized");
  });

  test("changing a user's role revokes their sessions", async () => {
    const admin = await login(suite.app, suite.org.admin);
    const victim = await login(suite.app, suite.org.user);
    const patch = await suite.app.handle(
      jsonRequest("PATCH", `/api/v1/users/${suite.org.user.id}`, { role: "viewer" }, bearer(admin.accessToken)),
    );
    expect(patch.status).toBe(200);
    await expectErrorEnvelope(await me(victim.accessToken), 401, "Unauthorized");
    const again = await login(suite.app, suite.org.user);
    expect((await bodyOf(await me(again.accessToken))).data.user.role).toBe("viewer");
  });

  test("a refresh token with a bad signature is 401", async () => {
    const pair = await login(suite.app, suite.org.admin);
    await expectErrorEnvelope(await refresh(`${pair.refreshToken.slice(0, -3)}abc`), 401, "Unauthorized");
  });

  test("an access token used as a refresh token is 401", async () => {
    const pair = await login(suite.app, suite.org.admin);
    await expectErrorEnvelope(await refresh(pair.accessToken), 401, "Unauthorized");
  });
});
