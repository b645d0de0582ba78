import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHmac } from "node:crypto";
import { hashApiKey } from "../../src/modules/auth/api-key-secret";
import { expectErrorEnvelope } from "../helpers/app";
import { dialects } from "../helpers/database";
import { login } from "../helpers/fixtures";
import { buildWorld, type World } from "./support/world";

const invalidToken = 'Bearer error="invalid_token"';
const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

/** An HS256 JWT signed with any key, even an empty one (what a kid pointing at /dev/null would give). */
function signWith(header: Record<string, unknown>, claims: Record<string, unknown>, key: string): string {
  const input = `${encode({ alg: "HS256", typ: "JWT", ...header })}.${encode(claims)}`;
  return `${input}.${createHmac("sha256", key).update(input).digest("base64url")}`;
}

interface Refusal {
  /** The Authorization header to send. */
  authorization: string;
  /** The route to send it to; /api/v1/me unless said. */
  path?: string;
  method?: string;
  body?: unknown;
  message: string;
}

describe.each(dialects)("stolen, stale and forged credentials on %s", (dialect) => {
  let world: World;
  const refusals: Record<string, () => Promise<Refusal>> = {};

  beforeAll(async () => {
    world = await buildWorld(dialect);
  }, 30_000);
  afterAll(() => world.database.drop());

  const call = (method: string, path: string, authorization?: string, body?: unknown) =>
    world.call(method, path, authorization === undefined ? {} : { authorization }, body);

  /** A user of organization A who signs in and is then changed by the admin. */
  async function signedInUser() {
    const email = `victim-${Bun.randomUUIDv7().slice(-8)}@org-a.example.com`;
    const password = "the old password 1";
    const created = await call("POST", "/api/v1/users", world.headers.admin.authorization, {
      email,
      password,
      role: "user",
    });
    const { id } = ((await created.json()) as { data: { id: string } }).data;
    const tokens = await login(world.app, { email, password });
    // The token is checked once and cached: the refusals below must get past that cache.
    expect((await call("GET", "/api/v1/me", `Bearer ${tokens.accessToken}`)).status).toBe(200);
    return { id, tokens };
  }

  async function newKey(role = "user") {
    const response = await call("POST", "/api/v1/api-keys", world.headers.admin.authorization, {
      name: "attack",
      role,
    });
    return ((await response.json()) as { data: { id: string; key: string } }).data;
  }

  refusals["an access token of a session that has logged out"] = async () => {
    const { tokens } = await signedInUser();
    expect((await call("POST", "/api/v1/auth/logout", `Bearer ${tokens.accessToken}`, {})).status).toBe(200);
    return { authorization: `Bearer ${tokens.accessToken}`, message: "The session has been revoked" };
  };
  refusals["an access token issued before an admin changed the password"] = async () => {
    const { id, tokens } = await signedInUser();
    const changed = await call("PATCH", `/api/v1/users/${id}`, world.headers.admin.authorization, {
      password: "the new password 2",
    });
    expect(changed.status).toBe(200);
    return { authorization: `Bearer ${tokens.accessToken}`, message: "The session has been revoked" };
  };
  refusals["a refresh token issued before an admin changed the password"] = async () => {
    const { id, tokens } = await signedInUser();
    await call("PATCH", `/api/v1/users/${id}`, world.headers.admin.authorization, { password: "the new password 2" });
    return {
      authorization: "",
      method: "POST",
      path: "/api/v1/auth/refresh",
      body: { refreshToken: tokens.refreshToken },
      message: "The session has been revoked",
    };
  };
  for (const [kid, key] of [
    ["../../dev/null", ""],
    ["/dev/null", ""],
    ["../../../../proc/self/environ", "PATH=/usr/bin"],
    ["' UNION SELECT 'attacker' --", "attacker"],
    ["http://127.0.0.1:1/attacker-key", "attacker-key-attacker-key-attacker"],
  ]) {
    refusals[`a token whose kid is ${JSON.stringify(kid)}, signed with what it points at`] = async () => {
      const { tokens } = await signedInUser();
      const claims = JSON.parse(Buffer.from(tokens.accessToken.split(".")[1] as string, "base64url").toString());
      return {
        authorization: `Bearer ${signWith({ kid }, { ...claims, role: "admin" }, key as string)}`,
        message: "Invalid access token",
      };
    };
  }
  refusals["an API key an admin has revoked"] = async () => {
    const created = await newKey();
    expect((await call("GET", "/api/v1/me", `ApiKey ${created.key}`)).status).toBe(200);
    expect((await call("DELETE", `/api/v1/api-keys/${created.id}`, world.headers.admin.authorization)).status).toBe(
      200,
    );
    return { authorization: `ApiKey ${created.key}`, message: "Invalid API key" };
  };
  refusals["an API key past its expiry"] = async () => {
    const created = await newKey();
    const past = new Date(Date.now() - 60_000).toISOString();
    await world.database.db.sql`update api_keys set expires_at = ${past} where id = ${created.id}`;
    return { authorization: `ApiKey ${created.key}`, message: "The API key has expired" };
  };
  refusals["an API key with one character added"] = async () => ({
    authorization: `ApiKey ${(await newKey()).key}x`,
    message: "Invalid API key",
  });
  refusals["the stored SHA-256 of a real key, as if from a database leak, as an API key"] = async () => ({
    authorization: `ApiKey ${hashApiKey((await newKey()).key)}`,
    message: "Invalid API key",
  });
  refusals["the stored SHA-256 of a real key, as a bearer token"] = async () => ({
    authorization: `Bearer ${hashApiKey((await newKey()).key)}`,
    message: "Invalid access token",
  });
  refusals["a revoked key on a route that writes, with a body that would not validate"] = async () => {
    const created = await newKey("admin");
    await call("DELETE", `/api/v1/api-keys/${created.id}`, world.headers.admin.authorization);
    return {
      authorization: `Bearer ${created.key}`,
      method: "POST",
      path: "/api/v1/prospects",
      body: { email: "not an email" },
      message: "Invalid API key",
    };
  };

  test.each(Object.keys(refusals))(
    'refuses %s with 401 and WWW-Authenticate: Bearer error="invalid_token"',
    async (name) => {
      const refusal = await (refusals[name] as () => Promise<Refusal>)();
      const response = await call(
        refusal.method ?? "GET",
        refusal.path ?? "/api/v1/me",
        refusal.authorization || undefined,
        refusal.body,
      );
      const body = await expectErrorEnvelope(response, 401, "Unauthorized");
      expect(body.message).toBe(refusal.message);
      expect(response.headers.get("www-authenticate")).toStartWith(invalidToken);
    },
  );

  test.each([
    ["GET", "/api/v1/me", undefined],
    ["GET", "/api/v1/prospects", undefined],
    ["POST", "/api/v1/prospects", { email: "not an email" }],
    ["DELETE", "/api/v1/api-keys/some-id", undefined],
  ] as const)(
    "refuses %s %s without credentials with 401 and WWW-Authenticate: Bearer realm",
    async (method, path, body) => {
      for (const authorization of [undefined, ""]) {
        const response = await call(method, path, authorization, body);
        const refused = await expectErrorEnvelope(response, 401, "Unauthorized");
        expect(refused.message).toBe("Authentication required");
        expect(response.headers.get("www-authenticate")).toBe('Bearer realm="api"');
      }
    },
  );

  test("a valid key of organization B reaches only B: A's prospect is a 404, exactly like a missing one", async () => {
    const other = await login(world.app, world.other.admin);
    const created = await call("POST", "/api/v1/api-keys", `Bearer ${other.accessToken}`, { name: "b", role: "admin" });
    const { key } = ((await created.json()) as { data: { key: string } }).data;
    const me = await call("GET", "/api/v1/me", `ApiKey ${key}`);
    expect(((await me.json()) as { data: { apiKey: { organizationId: string } } }).data.apiKey.organizationId).toBe(
      world.other.id,
    );
    const foreign = await call("GET", `/api/v1/prospects/${world.resources.prospectId}`, `ApiKey ${key}`);
    const missing = await call("GET", `/api/v1/prospects/${Bun.randomUUIDv7()}`, `ApiKey ${key}`);
    const [a, b] = [
      await expectErrorEnvelope(foreign, 404, "NotFound"),
      await expectErrorEnvelope(missing, 404, "NotFound"),
    ];
    expect(a.message).toBe(b.message);
    expect(
      (await call("PATCH", `/api/v1/prospects/${world.resources.prospectId}`, `ApiKey ${key}`, { notes: "x" })).status,
    ).toBe(404);
    expect(
      (await call("GET", `/api/v1/prospects/${world.resources.prospectId}`, world.headers.admin.authorization)).status,
    ).toBe(200);
  });

  test.each(["ApiKey", "apikey", "APIKEY", "Bearer", "bearer", "BEARER"])(
    "accepts a valid key under the %s scheme: schemes are case-insensitive (RFC 9110)",
    async (scheme) => {
      const key = world.keys.viewer;
      expect((await call("GET", "/api/v1/me", `${scheme} ${key}`)).status).toBe(200);
    },
  );
});
