import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { SignJWT } from "jose";
import type { App } from "../../src/app";
import type { Config } from "../../src/config";
import { createUserRepository } from "../../src/modules/users/repository";
import { buildTestApp, expectErrorEnvelope, testConfig } from "../helpers/app";
import { createTestDatabase, type TestDatabase } from "../helpers/database";
import { cheapHashEnv, login, type SeededOrganization, seedOrganization, type TokenPair } from "../helpers/fixtures";

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
const now = () => Math.floor(Date.now() / 1000);

describe("forged, expired and wrong-type tokens", () => {
  let database: TestDatabase;
  let app: App;
  let jwt: Config["jwt"];
  let org: SeededOrganization;
  let tokens: TokenPair;
  let claims: Record<string, unknown>;

  const sign = (payload: Record<string, unknown>, secret = jwt.accessSecret, header: Record<string, unknown> = {}) =>
    new SignJWT(payload)
      .setProtectedHeader({ alg: "HS256", typ: "JWT", ...header })
      .sign(new TextEncoder().encode(secret));

  beforeAll(async () => {
    database = await createTestDatabase("sqlite");
    const built = buildTestApp({ env: cheapHashEnv, deps: { db: database.db } });
    app = built.app;
    jwt = built.deps.config.jwt;
    org = await seedOrganization(database.db, "Forgery Inc");
    tokens = await login(app, org.user);
    claims = JSON.parse(Buffer.from(tokens.accessToken.split(".")[1] as string, "base64url").toString());
  });
  afterAll(() => database.drop());

  const me = (authorization: string) =>
    app.handle(new Request("http://localhost/api/v1/me", { headers: { authorization } }));

  const cases: Array<[string, () => Promise<string> | string]> = [
    ["alg none", () => `${encode({ alg: "none", typ: "JWT" })}.${encode(claims)}.`],
    [
      "alg none with a signature",
      () => `${encode({ alg: "none" })}.${encode(claims)}.${tokens.accessToken.split(".")[2]}`,
    ],
    ["a wrong secret", () => sign(claims, "x".repeat(48))],
    [
      "HS512 instead of HS256 (algorithm switched)",
      () => new SignJWT(claims).setProtectedHeader({ alg: "HS512" }).sign(new TextEncoder().encode(jwt.accessSecret)),
    ],
    [
      "a tampered payload (role raised to admin)",
      () => {
        const [h, , s] = tokens.accessToken.split(".");
        return `${h}.${encode({ ...claims, role: "admin" })}.${s}`;
      },
    ],
    [
      "a tampered header",
      () => {
        const [, p, s] = tokens.accessToken.split(".");
        return `${encode({ alg: "HS256", typ: "JWT", kid: "x" })}.${p}.${s}`;
      },
    ],
    ["a truncated signature", () => tokens.accessToken.slice(0, -6)],
    ["a padded signature", () => `${tokens.accessToken}AAAA`],
    ["only two segments", () => tokens.accessToken.split(".").slice(0, 2).join(".")],
    ["garbage", () => "not-a-token"],
    ["the refresh token used as an access token", () => tokens.refreshToken],
    ["an access-typed token signed with the refresh secret", () => sign(claims, jwt.refreshSecret)],
    ["a wrong issuer", () => sign({ ...claims, iss: "someone-else" })],
    ["a wrong audience", () => sign({ ...claims, aud: "another-api" })],
    ["no typ claim", () => sign({ ...claims, typ: undefined })],
    ["nbf in the future", () => sign({ ...claims, nbf: now() + 3600 })],
    [
      "a jku header pointing at an attacker's key",
      () => sign(claims, "attacker-secret-attacker-secret-123", { jku: "http://127.0.0.1:1/jwks" }),
    ],
    [
      "an x5u header with an attacker's key",
      () => sign(claims, "attacker-secret-attacker-secret-123", { x5u: "http://127.0.0.1:1/cert" }),
    ],
    ["a session id that does not exist", () => sign({ ...claims, sid: Bun.randomUUIDv7() })],
    ["another user's subject on this session", () => sign({ ...claims, sub: org.admin.id })],
  ];

  test.each(cases)("refuses %s with 401 invalid_token", async (_name, make) => {
    const response = await me(`Bearer ${await make()}`);
    await expectErrorEnvelope(response, 401, "Unauthorized");
    expect(response.headers.get("www-authenticate")).toStartWith('Bearer error="invalid_token"');
  });

  test("refuses an expired access token with 401 and says it expired", async () => {
    const expired = await sign({ ...claims, iat: now() - 7200, exp: now() - 3600 });
    const response = await me(`Bearer ${expired}`);
    const body = await expectErrorEnvelope(response, 401, "Unauthorized");
    expect(body.message).toBe("The access token has expired");
    expect(response.headers.get("www-authenticate")).toContain('error="invalid_token"');
  });

  test("refuses an unsupported scheme and an empty bearer", async () => {
    await expectErrorEnvelope(await me("Basic dXNlcjpwYXNz"), 401, "Unauthorized");
    await expectErrorEnvelope(await me("Bearer "), 401, "Unauthorized");
  });

  test("refuses a token of a user deleted after it was cached", async () => {
    const victim = await login(app, org.viewer);
    expect((await me(`Bearer ${victim.accessToken}`)).status).toBe(200);
    const admin = await login(app, org.admin);
    const removed = await app.handle(
      new Request(`http://localhost/api/v1/users/${org.viewer.id}`, {
        method: "DELETE",
        headers: { authorization: `Bearer ${admin.accessToken}` },
      }),
    );
    expect(removed.status).toBe(200);
    await expectErrorEnvelope(await me(`Bearer ${victim.accessToken}`), 401, "Unauthorized");
  });

  test("refuses a token of a user disabled directly in the database once its cache entry is gone", async () => {
    // A fresh app has an empty token cache, as after a restart: the session check runs again.
    const sameSecrets = { ...testConfig(cheapHashEnv), jwt };
    const fresh = buildTestApp({ deps: { db: database.db, config: sameSecrets } }).app;
    const pair = await login(fresh, org.user);
    await createUserRepository(database.db).updateUser(org.id, org.user.id, { disabled: true });
    const again = buildTestApp({ deps: { db: database.db, config: sameSecrets } }).app;
    const response = await again.handle(
      new Request("http://localhost/api/v1/me", { headers: { authorization: `Bearer ${pair.accessToken}` } }),
    );
    const body = await expectErrorEnvelope(response, 401, "Unauthorized");
    expect(body.message).toBe("The account is disabled");
  });
});
