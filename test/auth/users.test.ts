import { beforeAll, describe, expect, test } from "bun:test";
import { buildTestApp, expectErrorEnvelope } from "../helpers/app";
import { dialects } from "../helpers/database";
import { bearer, bodyOf, jsonRequest, login } from "../helpers/fixtures";
import { useSeededApp } from "../helpers/seeded-app";

describe.each(dialects)("users admin on %s", (dialect) => {
  const suite = useSeededApp(dialect, ["Admins Org", "Elsewhere"]);
  let admin: string;
  beforeAll(async () => {
    admin = (await login(suite.app, suite.org.admin)).accessToken;
  });

  const call = (method: string, path: string, body?: unknown, token = admin) =>
    suite.app.handle(jsonRequest(method, path, body, bearer(token)));

  test("lists only the caller's organization, without password hashes", async () => {
    const response = await call("GET", "/api/v1/users");
    expect(response.status).toBe(200);
    const body = await bodyOf(response);
    expect(body.data.map((u: { email: string }) => u.email).sort()).toEqual(
      [suite.org.admin.email, suite.org.user.email, suite.org.viewer.email].sort(),
    );
    for (const user of body.data) expect(Object.keys(user)).not.toContain("passwordHash");
  });

  test("pages through users with an opaque cursor", async () => {
    const first = await bodyOf(await call("GET", "/api/v1/users?limit=2"));
    expect(first.data).toHaveLength(2);
    expect(first.meta.hasMore).toBe(true);
    const second = await bodyOf(await call("GET", `/api/v1/users?limit=2&cursor=${first.meta.nextCursor}`));
    expect(second.data).toHaveLength(1);
    expect(second.meta).toEqual({ limit: 2, nextCursor: null, hasMore: false });
  });

  test("a cursor that was not issued is a 422 on cursor", async () => {
    const body = await expectErrorEnvelope(await call("GET", "/api/v1/users?cursor=garbage"), 422, "ValidationError");
    expect(Object.keys(body.errors as object)).toEqual(["cursor"]);
  });

  test("creates a user who can then sign in; the role field is honoured, organizationId from the body is not", async () => {
    const response = await call("POST", "/api/v1/users", {
      email: "new.hire@admins.example.com",
      password: "a-long-password",
      role: "viewer",
      organizationId: suite.other.id,
    });
    expect(response.status).toBe(201);
    const created = (await bodyOf(response)).data;
    expect(created.organizationId).toBe(suite.org.id);
    expect(created.role).toBe("viewer");
    const tokens = await login(suite.app, { email: "new.hire@admins.example.com", password: "a-long-password" });
    expect(tokens.accessToken).toBeString();
  });

  test("a duplicate email, in any case, is a 409 naming the field", async () => {
    const response = await call("POST", "/api/v1/users", {
      email: suite.org.user.email.toUpperCase(),
      password: "a-long-password",
    });
    const body = await expectErrorEnvelope(response, 409, "Conflict");
    expect(String(body.message).toLowerCase()).toContain("email");
  });

  test("the last admin cannot be demoted or removed", async () => {
    const demote = await call("PATCH", `/api/v1/users/${suite.org.admin.id}`, { role: "user" });
    await expectErrorEnvelope(demote, 409, "Conflict");
    const remove = await call("DELETE", `/api/v1/users/${suite.org.admin.id}`);
    await expectErrorEnvelope(remove, 409, "Conflict");
  });

  test("an admin cannot disable their own account", async () => {
    await expectErrorEnvelope(
      await call("PATCH", `/api/v1/users/${suite.org.admin.id}`, { disabled: true }),
      403,
      "Forbidden",
    );
  });

  test("a disabled user cannot sign in and their tokens stop working", async () => {
    const victim = await login(suite.app, suite.org.viewer);
    expect((await call("PATCH", `/api/v1/users/${suite.org.viewer.id}`, { disabled: true })).status).toBe(200);
    await expectErrorEnvelope(
      await suite.app.handle(new Request("http://localhost/api/v1/me", { headers: bearer(victim.accessToken) })),
      401,
      "Unauthorized",
    );
    await expectErrorEnvelope(
      await suite.app.handle(
        jsonRequest("POST", "/api/v1/auth/login", {
          email: suite.org.viewer.email,
          password: suite.org.viewer.password,
        }),
      ),
      401,
      "Unauthorized",
    );
  });

  test("another organization's user is a 404 on PATCH and DELETE, exactly like a missing id", async () => {
    for (const method of ["PATCH", "DELETE"]) {
      const foreign = await call(
        method,
        `/api/v1/users/${suite.other.user.id}`,
        method === "PATCH" ? { role: "admin" } : undefined,
      );
      const missing = await call(
        method,
        `/api/v1/users/${Bun.randomUUIDv7()}`,
        method === "PATCH" ? { role: "admin" } : undefined,
      );
      const a = await expectErrorEnvelope(foreign, 404, "NotFound");
      const b = await expectErrorEnvelope(missing, 404, "NotFound");
      expect(a.message).toBe(b.message);
    }
  });

  test.each([
    ["user", "GET", "/api/v1/users"],
    ["user", "POST", "/api/v1/users"],
    ["viewer", "GET", "/api/v1/api-keys"],
    ["user", "DELETE", "/api/v1/api-keys/x"],
  ] as const)("a %s gets 403 on %s %s", async (role, method, path) => {
    const token = (
      await login(
        suite.app,
        role === "user" ? suite.org.user : { email: suite.other.viewer.email, password: suite.other.viewer.password },
      )
    ).accessToken;
    const body = method === "POST" ? { email: "x@y.example.com", password: "long-enough-pw" } : undefined;
    await expectErrorEnvelope(await call(method, path, body, token), 403, "Forbidden");
  });

  test("the response scanner of the test suite catches a leaked hash", async () => {
    const leaky = buildTestApp().app.get("/leak", () => ({ hash: "$argon2id$v=19$m=64,t=1,p=1$abc$def" }));
    await expect(leaky.handle(new Request("http://localhost/leak"))).rejects.toThrow("secret hash");
  });
});
