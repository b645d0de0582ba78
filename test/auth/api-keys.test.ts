import { beforeAll, describe, expect, test } from "bun:test";
import { expectErrorEnvelope } from "../helpers/app";
import { dialects } from "../helpers/database";
import { bearer, bodyOf, jsonRequest, login } from "../helpers/fixtures";
import { useSeededApp } from "../helpers/seeded-app";

describe.each(dialects)("API keys on %s", (dialect) => {
  const suite = useSeededApp(dialect, ["Keys Co", "Other Co"]);
  let adminToken: string;
  beforeAll(async () => {
    adminToken = (await login(suite.app, suite.org.admin)).accessToken;
  });

  const createKey = async (body: Record<string, unknown>, token = adminToken) =>
    suite.app.handle(jsonRequest("POST", "/api/v1/api-keys", body, bearer(token)));
  const me = (authorization: string) =>
    suite.app.handle(new Request("http://localhost/api/v1/me", { headers: { authorization } }));

  test("creating a key shows the secret once; listing never shows it or its hash", async () => {
    const response = await createKey({ name: "CRM sync", role: "user" });
    expect(response.status).toBe(201);
    const created = (await bodyOf(response)).data;
    expect(created.key).toMatch(/^sk_live_[0-9A-Za-z]{32,}$/);
    expect(created.prefix).toBe(created.key.slice(0, 12));
    expect(created.role).toBe("user");

    const listed = await suite.app.handle(
      new Request("http://localhost/api/v1/api-keys", { headers: bearer(adminToken) }),
    );
    const text = await listed.text();
    expect(text).not.toContain(created.key);
    expect(text).not.toContain(new Bun.CryptoHasher("sha256").update(created.key).digest("hex"));
    const body = JSON.parse(text);
    const entry = body.data.find((k: { id: string }) => k.id === created.id);
    expect(Object.keys(entry).sort()).toEqual([
      "createdAt",
      "createdBy",
      "effectiveRole",
      "expiresAt",
      "id",
      "lastUsedAt",
      "name",
      "prefix",
      "role",
    ]);
    expect(entry.createdBy).toEqual({ id: suite.org.admin.id, email: suite.org.admin.email });
    expect(entry.effectiveRole).toBe("user");
    expect(body.meta).toEqual({ limit: 20, nextCursor: null, hasMore: false });
  });

  test.each(["ApiKey", "Bearer"])("authenticates with Authorization: %s sk_live_…", async (scheme) => {
    const created = (await bodyOf(await createKey({ name: `scheme ${scheme}`, role: "viewer" }))).data;
    const response = await me(`${scheme} ${created.key}`);
    expect(response.status).toBe(200);
    const body = await bodyOf(response);
    expect(body.data.user).toBeNull();
    expect(body.data.apiKey).toEqual({
      id: created.id,
      name: `scheme ${scheme}`,
      prefix: created.prefix,
      organizationId: suite.org.id,
      role: "viewer",
    });
  });

  test("a revoked key is refused on the very next request", async () => {
    const created = (await bodyOf(await createKey({ name: "to revoke" }))).data;
    expect((await me(`ApiKey ${created.key}`)).status).toBe(200);
    const revoke = await suite.app.handle(
      new Request(`http://localhost/api/v1/api-keys/${created.id}`, { method: "DELETE", headers: bearer(adminToken) }),
    );
    expect(revoke.status).toBe(200);
    const body = await expectErrorEnvelope(await me(`ApiKey ${created.key}`), 401, "Unauthorized");
    expect(body.message).toBe("Invalid API key");
  });

  test.each([
    ["the right prefix and a wrong secret", (k: string) => `${k.slice(0, -4)}zzzz`],
    ["wrong case", (k: string) => k.toUpperCase()],
    ["a truncated key", (k: string) => k.slice(0, 20)],
  ])("refuses a key with %s", async (_name, mutate) => {
    const created = (await bodyOf(await createKey({ name: "mutations" }))).data;
    const response = await me(`ApiKey ${mutate(created.key)}`);
    await expectErrorEnvelope(response, 401, "Unauthorized");
    expect(response.headers.get("www-authenticate")).toContain('error="invalid_token"');
  });

  test("an expired key is refused and says so", async () => {
    const created = (
      await bodyOf(await createKey({ name: "short-lived", expiresAt: new Date(Date.now() + 1500).toISOString() }))
    ).data;
    expect((await me(`ApiKey ${created.key}`)).status).toBe(200);
    await Bun.sleep(1600);
    const body = await expectErrorEnvelope(await me(`ApiKey ${created.key}`), 401, "Unauthorized");
    expect(body.message).toBe("The API key has expired");
  });

  test("an expiry in the past is a 422", async () => {
    const body = await expectErrorEnvelope(
      await createKey({ name: "past", expiresAt: "2001-01-01T00:00:00Z" }),
      422,
      "ValidationError",
    );
    expect(body.errors).toEqual({ expiresAt: ["Expires at must be in the future"] });
  });

  describe("a key never acts above its creator's current role", () => {
    const users = (authorization: string) =>
      suite.app.handle(new Request("http://localhost/api/v1/users", { headers: { authorization } }));
    const patchUser = (id: string, body: Record<string, unknown>) =>
      suite.app.handle(jsonRequest("PATCH", `/api/v1/users/${id}`, body, bearer(adminToken)));
    const listedKey = async (id: string) => {
      const listed = await suite.app.handle(
        new Request("http://localhost/api/v1/api-keys?limit=100", { headers: bearer(adminToken) }),
      );
      return (await bodyOf(listed)).data.find((k: { id: string }) => k.id === id);
    };
    /** A second admin (the seeded one must stay: the last admin cannot be demoted) and an admin key of theirs. */
    const adminKeyOfNewAdmin = async (email: string) => {
      const made = await suite.app.handle(
        jsonRequest(
          "POST",
          "/api/v1/users",
          { email, password: "long enough password", role: "admin" },
          bearer(adminToken),
        ),
      );
      expect(made.status).toBe(201);
      const creator = (await bodyOf(made)).data;
      const token = (await login(suite.app, { email, password: "long enough password" })).accessToken;
      const key = (await bodyOf(await createKey({ name: `admin key of ${email}`, role: "admin" }, token))).data;
      expect(key.effectiveRole).toBe("admin");
      expect(key.createdBy).toEqual({ id: creator.id, email });
      return { creator, key };
    };

    test("an admin key of a creator demoted to user acts as user at once: no users list, no new admin", async () => {
      const { creator, key } = await adminKeyOfNewAdmin(`demoted-${dialect}@keys.example.com`);
      expect((await users(`ApiKey ${key.key}`)).status).toBe(200);
      expect((await patchUser(creator.id, { role: "user" })).status).toBe(200);

      await expectErrorEnvelope(await users(`ApiKey ${key.key}`), 403, "Forbidden");
      const escalate = await suite.app.handle(
        jsonRequest(
          "POST",
          "/api/v1/users",
          { email: `new-admin-${dialect}@keys.example.com`, password: "long enough password", role: "admin" },
          { authorization: `ApiKey ${key.key}` },
        ),
      );
      await expectErrorEnvelope(escalate, 403, "Forbidden");
      expect((await bodyOf(await me(`ApiKey ${key.key}`))).data.apiKey.role).toBe("user");
      expect(await listedKey(key.id)).toMatchObject({ role: "admin", effectiveRole: "user" });

      // Demoted further to viewer, the key cannot write; promoted back, it is an admin key again.
      expect((await patchUser(creator.id, { role: "viewer" })).status).toBe(200);
      const write = await suite.app.handle(
        jsonRequest(
          "POST",
          "/api/v1/prospects",
          { email: `p-${dialect}@x.example.com` },
          { authorization: `ApiKey ${key.key}` },
        ),
      );
      await expectErrorEnvelope(write, 403, "Forbidden");
      expect((await patchUser(creator.id, { role: "admin" })).status).toBe(200);
      expect((await users(`ApiKey ${key.key}`)).status).toBe(200);
    });

    test("a key of a disabled creator is refused with 401 until the creator is enabled again", async () => {
      const { creator, key } = await adminKeyOfNewAdmin(`disabled-${dialect}@keys.example.com`);
      expect((await me(`ApiKey ${key.key}`)).status).toBe(200);
      expect((await patchUser(creator.id, { disabled: true })).status).toBe(200);
      const refused = await expectErrorEnvelope(await me(`ApiKey ${key.key}`), 401, "Unauthorized");
      expect(refused.message).toBe("The API key's creator is disabled");
      expect(await listedKey(key.id)).toMatchObject({ role: "admin", effectiveRole: null });
      expect((await patchUser(creator.id, { disabled: false })).status).toBe(200);
      expect((await me(`ApiKey ${key.key}`)).status).toBe(200);
    });

    test("a key of a deleted creator is refused, listed with no creator, and an admin can revoke it", async () => {
      const { creator, key } = await adminKeyOfNewAdmin(`deleted-${dialect}@keys.example.com`);
      expect((await users(`ApiKey ${key.key}`)).status).toBe(200);
      const removed = await suite.app.handle(
        new Request(`http://localhost/api/v1/users/${creator.id}`, { method: "DELETE", headers: bearer(adminToken) }),
      );
      expect(removed.status).toBe(200);
      const refused = await expectErrorEnvelope(await users(`ApiKey ${key.key}`), 401, "Unauthorized");
      expect(refused.message).toBe("The API key's creator has been deleted; an admin must issue a new key");
      expect(await listedKey(key.id)).toMatchObject({ role: "admin", effectiveRole: null, createdBy: null });
      const revoke = await suite.app.handle(
        new Request(`http://localhost/api/v1/api-keys/${key.id}`, { method: "DELETE", headers: bearer(adminToken) }),
      );
      expect(revoke.status).toBe(200);
      expect(await listedKey(key.id)).toBeUndefined();
    });
  });

  test("an API key with the viewer role cannot create keys (403)", async () => {
    const viewerKey = (await bodyOf(await createKey({ name: "viewer key", role: "viewer" }))).data.key;
    await expectErrorEnvelope(await createKey({ name: "escalate", role: "admin" }, viewerKey), 403, "Forbidden");
  });

  test("another organization's key id is a 404, exactly like a missing one", async () => {
    const otherAdmin = (await login(suite.app, suite.other.admin)).accessToken;
    const created = (await bodyOf(await createKey({ name: "mine" }))).data;
    const foreign = await suite.app.handle(
      new Request(`http://localhost/api/v1/api-keys/${created.id}`, { method: "DELETE", headers: bearer(otherAdmin) }),
    );
    const missing = await suite.app.handle(
      new Request(`http://localhost/api/v1/api-keys/${Bun.randomUUIDv7()}`, {
        method: "DELETE",
        headers: bearer(otherAdmin),
      }),
    );
    const a = await expectErrorEnvelope(foreign, 404, "NotFound");
    const b = await expectErrorEnvelope(missing, 404, "NotFound");
    expect(a.message).toBe(b.message);
    expect((await me(`ApiKey ${created.key}`)).status).toBe(200);
  });

  test("a name over 100 characters or a bad role is a 422", async () => {
    const body = await expectErrorEnvelope(
      await createKey({ name: "n".repeat(101), role: "root" }),
      422,
      "ValidationError",
    );
    expect(Object.keys(body.errors as object).sort()).toEqual(["name", "role"]);
  });
});
