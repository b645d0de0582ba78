import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { App } from "../../src/app";
import { httpError } from "../../src/http/errors";
import { buildTestApp } from "../helpers/app";
import { createTestDatabase, type TestDatabase } from "../helpers/database";
import {
  bearer,
  cheapHashEnv,
  jsonRequest,
  login,
  type SeededOrganization,
  seedOrganization,
} from "../helpers/fixtures";

interface Case {
  name: string;
  request: () => Request;
  status: number;
  cacheControl: string;
}

describe("Cache-Control", () => {
  let database: TestDatabase;
  let app: App;
  let org: SeededOrganization;
  let userToken: string;
  let adminToken: string;
  let refreshToken: string;

  beforeAll(async () => {
    database = await createTestDatabase("sqlite");
    app = buildTestApp({ env: cheapHashEnv, deps: { db: database.db } }).app;
    app
      .get("/api/v1/test-things", () => ({ success: true, data: [] }))
      .post("/api/v1/test-things", ({ set }) => {
        set.status = 201;
        return { success: true, data: { id: "1" } };
      })
      .get("/api/v1/test-chosen", ({ set }) => {
        set.headers["cache-control"] = "private, max-age=60";
        return { success: true, data: {} };
      })
      .get("/api/v1/test-chosen-then-failed", ({ set }) => {
        set.headers["cache-control"] = "private, max-age=60";
        throw httpError(409, "Conflict");
      });
    org = await seedOrganization(database.db, "Cache Co");
    userToken = (await login(app, org.user)).accessToken;
    ({ accessToken: adminToken, refreshToken } = await login(app, org.admin));
  });
  afterAll(() => database.drop());

  const cases: Case[] = [
    {
      name: "login (tokens)",
      request: () =>
        jsonRequest("POST", "/api/v1/auth/login", { email: org.viewer.email, password: org.viewer.password }),
      status: 200,
      cacheControl: "no-store",
    },
    {
      name: "refresh (tokens)",
      request: () => jsonRequest("POST", "/api/v1/auth/refresh", { refreshToken }),
      status: 200,
      cacheControl: "no-store",
    },
    {
      name: "/me (personal data)",
      request: () => jsonRequest("GET", "/api/v1/me", undefined, bearer(userToken)),
      status: 200,
      cacheControl: "no-store",
    },
    {
      name: "the API key list",
      request: () => jsonRequest("GET", "/api/v1/api-keys", undefined, bearer(adminToken)),
      status: 200,
      cacheControl: "no-store",
    },
    {
      name: "the user list",
      request: () => jsonRequest("GET", "/api/v1/users", undefined, bearer(adminToken)),
      status: 200,
      cacheControl: "no-store",
    },
    {
      name: "another API read",
      request: () => jsonRequest("GET", "/api/v1/test-things"),
      status: 200,
      cacheControl: "private, no-cache",
    },
    {
      name: "another API write",
      request: () => jsonRequest("POST", "/api/v1/test-things", {}),
      status: 201,
      cacheControl: "no-store",
    },
    {
      name: "a read whose route chose its own",
      request: () => jsonRequest("GET", "/api/v1/test-chosen"),
      status: 200,
      cacheControl: "private, max-age=60",
    },
    {
      name: "an error from a route that had chosen its own",
      request: () => jsonRequest("GET", "/api/v1/test-chosen-then-failed"),
      status: 409,
      cacheControl: "no-store",
    },
    {
      name: "a 401 without a token",
      request: () => jsonRequest("GET", "/api/v1/me"),
      status: 401,
      cacheControl: "no-store",
    },
    {
      name: "a 422 from validation",
      request: () => jsonRequest("POST", "/api/v1/auth/login", { email: "nope" }),
      status: 422,
      cacheControl: "no-store",
    },
    {
      name: "a 404 for an unknown path",
      request: () => jsonRequest("GET", "/api/v1/nothing-here"),
      status: 404,
      cacheControl: "no-store",
    },
    {
      name: "a 415 refused before routing",
      request: () =>
        new Request("http://localhost/api/v1/test-things", {
          method: "POST",
          headers: { "content-type": "text/plain" },
          body: "x",
        }),
      status: 415,
      cacheControl: "no-store",
    },
    { name: "/health", request: () => jsonRequest("GET", "/health"), status: 200, cacheControl: "no-store" },
    {
      name: "/health/ready",
      request: () => jsonRequest("GET", "/health/ready"),
      status: 200,
      cacheControl: "no-store",
    },
    { name: "the docs page", request: () => jsonRequest("GET", "/docs"), status: 200, cacheControl: "no-cache" },
    {
      name: "the OpenAPI document",
      request: () => jsonRequest("GET", "/docs/json"),
      status: 200,
      cacheControl: "no-cache",
    },
    {
      name: "a docs asset",
      request: () => jsonRequest("GET", "/docs/assets/swagger-ui.css"),
      status: 200,
      cacheControl: "public, max-age=86400",
    },
  ];

  test.each(cases.map((c) => [c.name, c.cacheControl, c] as const))("%s: %s", async (_, __, c) => {
    const response = await app.handle(c.request());
    expect(response.status).toBe(c.status);
    expect(response.headers.get("cache-control")).toBe(c.cacheControl);
  });
});
