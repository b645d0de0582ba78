import { describe, expect, test } from "bun:test";
import { expectErrorEnvelope } from "../helpers/app";
import { dialects } from "../helpers/database";
import { bearer, bodyOf, jsonRequest, login } from "../helpers/fixtures";
import { useSeededApp } from "../helpers/seeded-app";

describe.each(dialects)("auth on %s", (dialect) => {
  const suite = useSeededApp(dialect, ["Acme"]);

  test("login returns the seed's shape: tokens and the user", async () => {
    const response = await suite.app.handle(
      jsonRequest("POST", "/api/v1/auth/login", { email: suite.org.user.email, password: suite.org.user.password }),
    );
    expect(response.status).toBe(200);
    const body = await bodyOf(response);
    expect(body.success).toBe(true);
    expect(Object.keys(body.data).sort()).toEqual(["accessToken", "refreshToken", "user"]);
    expect(body.data.user).toEqual({ id: suite.org.user.id, email: suite.org.user.email, role: "user" });
    expect(body.data.accessToken.split(".")).toHaveLength(3);
  });

  test("matches emails case-insensitively", async () => {
    const tokens = await login(suite.app, {
      email: suite.org.admin.email.toUpperCase(),
      password: suite.org.admin.password,
    });
    expect(tokens.accessToken).toBeString();
  });

  test("gives the same 401 for an unknown email and a wrong password", async () => {
    const unknown = await suite.app.handle(
      jsonRequest("POST", "/api/v1/auth/login", { email: "nobody@example.com", password: "whatever123" }),
    );
    const wrong = await suite.app.handle(
      jsonRequest("POST", "/api/v1/auth/login", { email: suite.org.user.email, password: "wrong-password" }),
    );
    const a = await expectErrorEnvelope(unknown, 401, "Unauthorized");
    const b = await expectErrorEnvelope(wrong, 401, "Unauthorized");
    expect(a.message).toBe("Invalid email or password");
    expect(b.message).toBe(a.message);
  });

  test("words validation failures as the seed does", async () => {
    const response = await suite.app.handle(
      jsonRequest("POST", "/api/v1/auth/login", { email: "nope", password: "short" }),
    );
    const body = await expectErrorEnvelope(response, 422, "ValidationError");
    expect(body.errors).toEqual({
      email: ["Invalid email format"],
      password: ["Password must be at least 8 characters"],
    });
  });

  test("refuses a password over 128 characters with 422", async () => {
    const response = await suite.app.handle(
      jsonRequest("POST", "/api/v1/auth/login", { email: suite.org.user.email, password: "x".repeat(129) }),
    );
    const body = await expectErrorEnvelope(response, 422, "ValidationError");
    expect(body.errors).toEqual({ password: ["Password must be at most 128 characters"] });
  });

  test("/me answers the seed's shape for a signed-in user", async () => {
    const tokens = await login(suite.app, suite.org.viewer);
    const response = await suite.app.handle(
      new Request("http://localhost/api/v1/me", { headers: bearer(tokens.accessToken) }),
    );
    expect(response.status).toBe(200);
    expect(await bodyOf(response)).toEqual({
      success: true,
      data: {
        user: { id: suite.org.viewer.id, email: suite.org.viewer.email, organizationId: suite.org.id, role: "viewer" },
      },
    });
  });

  test("/me without credentials is 401 with WWW-Authenticate: Bearer", async () => {
    const response = await suite.app.handle(new Request("http://localhost/api/v1/me"));
    await expectErrorEnvelope(response, 401, "Unauthorized");
    expect(response.headers.get("www-authenticate")).toStartWith("Bearer");
  });
});
