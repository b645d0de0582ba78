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

describe.each(dialects)("auth on %s", (dialect) => {
  let database: TestDatabase;
  let app: App;
  let org: SeededOrganization;

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    app = buildTestApp({ env: cheapHashEnv, deps: { db: database.db } }).app;
    org = await seedOrganization(database.db, "Acme");
  });
  afterAll(() => database.drop());

  test("login returns the seed's shape: tokens and the user", async () => {
    const response = await app.handle(
      jsonRequest("POST", "/api/v1/auth/login", { email: org.user.email, password: org.user.password }),
    );
    expect(response.status).toBe(200);
    const body = await bodyOf(response);
    expect(body.success).toBe(true);
    expect(Object.keys(body.data).sort()).toEqual(["accessToken", "refreshToken", "user"]);
    expect(body.data.user).toEqual({ id: org.user.id, email: org.user.email, role: "user" });
    expect(body.data.accessToken.split(".")).toHaveLength(3);
  });

  test("matches emails case-insensitively", async () => {
    const tokens = await login(app, { email: org.admin.email.toUpperCase(), password: org.admin.password });
    expect(tokens.accessToken).toBeString();
  });

  test("gives the same 401 for an unknown email and a wrong password", async () => {
    const unknown = await app.handle(
      jsonRequest("POST", "/api/v1/auth/login", { email: "nobody@example.com", password: "whatever123" }),
    );
    const wrong = await app.handle(
      jsonRequest("POST", "/api/v1/auth/login", { email: org.user.email, password: "wrong-password" }),
    );
    const a = await expectErrorEnvelope(unknown, 401, "Unauthorized");
    const b = await expectErrorEnvelope(wrong, 401, "Unauthorized");
    expect(a.message).toBe("Invalid email or password");
    expect(b.message).toBe(a.message);
  });

  test("words validation failures as the seed does", async () => {
    const response = await app.handle(jsonRequest("POST", "/api/v1/auth/login", { email: "nope", password: "short" }));
    const body = await expectErrorEnvelope(response, 422, "ValidationError");
    expect(body.errors).toEqual({
      email: ["Invalid email format"],
      password: ["Password must be at least 8 characters"],
    });
  });

  test("refuses a password over 128 characters with 422", async () => {
    const response = await app.handle(
      jsonRequest("POST", "/api/v1/auth/login", { email: org.user.email, password: "x".repeat(129) }),
    );
    const body = await expectErrorEnvelope(response, 422, "ValidationError");
    expect(body.errors).toEqual({ password: ["Password must be at most 128 characters"] });
  });

  test("/me answers the seed's shape for a signed-in user", async () => {
    const tokens = await login(app, org.viewer);
    const response = await app.handle(
      new Request("http://localhost/api/v1/me", { headers: bearer(tokens.accessToken) }),
    );
    expect(response.status).toBe(200);
    expect(await bodyOf(response)).toEqual({
      success: true,
      data: { user: { id: org.viewer.id, email: org.viewer.email, organizationId: org.id, role: "viewer" } },
    });
  });

  test("/me without credentials is 401 with WWW-Authenticate: Bearer", async () => {
    const response = await app.handle(new Request("http://localhost/api/v1/me"));
    await expectErrorEnvelope(response, 401, "Unauthorized");
    expect(response.headers.get("www-authenticate")).toStartWith("Bearer");
  });
});
