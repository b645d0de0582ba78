import { describe, expect, test } from "bun:test";
import { securityHeaders } from "../../src/http/security-headers";
import { buildTestApp } from "../helpers/app";

const seedHeaders = {
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "x-xss-protection": "1; mode=block",
  "strict-transport-security": "max-age=31536000",
};

function appWithThrowingRoute(env: Record<string, string> = {}) {
  const built = buildTestApp({ env });
  built.app.get("/boom", () => {
    throw new Error("boom");
  });
  return built;
}

describe("security headers", () => {
  const { request } = appWithThrowingRoute();

  test.each([
    ["a 200", "/health", 200],
    ["a 404", "/nope", 404],
    ["a 500", "/boom", 500],
  ])("sends the seed's headers and a restrictive CSP on %s", async (_, path, status) => {
    const response = await request(path);
    expect(response.status).toBe(status);
    for (const [name, value] of Object.entries(seedHeaders)) expect(response.headers.get(name)).toBe(value);
    const csp = response.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(response.headers.has("x-powered-by")).toBe(false);
  });
});

describe("security headers on every way a response leaves", () => {
  const { app } = buildTestApp();
  // Routes added after the app's plugins, as every feature's are: their hooks apply.
  app
    .get("/api/v1/small", () => ({ small: true }))
    .get("/api/v1/large", () => ({ text: "x".repeat(4096) }))
    .get("/text", () => "plain")
    .get("/raw", () => new Response("raw"))
    .get("/empty", ({ set }) => {
      set.status = 204;
      return "";
    });
  const send = (path: string, init: RequestInit = {}) => app.handle(new Request(`http://localhost${path}`, init));
  const etagOf = async (path: string) => (await send(path)).headers.get("etag") ?? "";

  test.each([
    ["a JSON 200 with an ETag", () => send("/api/v1/small"), 200],
    ["a 304", async () => send("/api/v1/small", { headers: { "if-none-match": await etagOf("/api/v1/small") } }), 304],
    ["a gzip body", () => send("/api/v1/large", { headers: { "accept-encoding": "gzip" } }), 200],
    ["a text body", () => send("/text"), 200],
    ["a route's own Response", () => send("/raw"), 200],
    ["a 204", () => send("/empty"), 204],
    ["a 401", () => send("/api/v1/me"), 401],
    ["a 405", () => send("/health", { method: "POST" }), 405],
    [
      "a 413 by Content-Length",
      () =>
        send("/api/v1/auth/login", {
          method: "POST",
          headers: { "content-type": "application/json", "content-length": "99999999" },
          body: "{}",
        }),
      413,
    ],
    [
      "a 415",
      () => send("/api/v1/auth/login", { method: "POST", headers: { "content-type": "text/plain" }, body: "x" }),
      415,
    ],
    ["a 400 for a bad Host", () => send("/health", { headers: { host: "bad host" } }), 400],
    [
      "a preflight",
      () =>
        send("/api/v1/me", {
          method: "OPTIONS",
          headers: { origin: "http://localhost:5173", "access-control-request-method": "GET" },
        }),
      204,
    ],
  ] as const)("%s carries every security header", async (_, respond, status) => {
    const response = await respond();
    expect(response.status).toBe(status);
    for (const [name, value] of Object.entries(securityHeaders)) expect(response.headers.get(name)).toBe(value);
  });
});

describe("CORS with ALLOWED_ORIGINS", () => {
  const { request } = buildTestApp({ env: { ALLOWED_ORIGINS: "https://app.example.com" } });

  test("echoes an allowed origin and exposes the request id and rate-limit headers", async () => {
    const response = await request("/health", { headers: { origin: "https://app.example.com" } });
    expect(response.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    expect(response.headers.get("vary")).toContain("Origin");
    const exposed = (response.headers.get("access-control-expose-headers") ?? "")
      .split(/,\s*/)
      .map((h) => h.toLowerCase());
    for (const header of [
      "X-Request-Id",
      "X-RateLimit-Limit",
      "X-RateLimit-Remaining",
      "X-RateLimit-Reset",
      "Retry-After",
    ]) {
      expect(exposed).toContain(header.toLowerCase());
    }
  });

  test("echoes an allowed origin on an error response too", async () => {
    const response = await request("/nope", { headers: { origin: "https://app.example.com" } });
    expect(response.status).toBe(404);
    expect(response.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
  });

  test("gives an origin not on the list no Access-Control-Allow-Origin", async () => {
    const response = await request("/health", { headers: { origin: "https://evil.example.com" } });
    expect(response.status).toBe(200);
    expect(response.headers.has("access-control-allow-origin")).toBe(false);
    expect(response.headers.has("access-control-expose-headers")).toBe(false);
  });

  test("answers a preflight from an allowed origin with 204 and the allowed methods and headers", async () => {
    const response = await request("/api/v1/prospects", {
      method: "OPTIONS",
      headers: {
        origin: "https://app.example.com",
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type",
      },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    const methods = (response.headers.get("access-control-allow-methods") ?? "").split(/,\s*/);
    expect(methods).toEqual(expect.arrayContaining(["GET", "POST", "PATCH", "DELETE"]));
    const headers = (response.headers.get("access-control-allow-headers") ?? "").toLowerCase().split(/,\s*/);
    expect(headers).toEqual(expect.arrayContaining(["authorization", "content-type"]));
    expect(response.headers.get("x-request-id")).toMatch(/^req_\d{10}_[a-z0-9]{6,}$/);
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(await response.text()).toBe("");
  });

  // Near misses of the allowed origin: a prefix or suffix match, another scheme, port or case.
  const nearMisses = [
    "https://app.example.com.evil.net",
    "https://app.example.comevil.net",
    "https://evil-app.example.com",
    "https://evil.app.example.com",
    "https://app.example.co",
    "http://app.example.com",
    "https://app.example.com:8443",
    "https://APP.example.com",
    "https://app.example.com/",
    "null",
  ];

  test.each(nearMisses)("gives the near miss %s no Access-Control-Allow-Origin on a request", async (origin) => {
    for (const path of ["/health", "/api/v1/prospects"]) {
      const response = await request(path, { headers: { origin } });
      expect(response.headers.has("access-control-allow-origin")).toBe(false);
      expect(response.headers.has("access-control-expose-headers")).toBe(false);
    }
  });

  test.each(nearMisses)("gives the near miss %s no Access-Control-Allow-Origin on a preflight", async (origin) => {
    const response = await request("/api/v1/prospects", {
      method: "OPTIONS",
      headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "authorization" },
    });
    expect(response.headers.has("access-control-allow-origin")).toBe(false);
    expect(response.headers.has("access-control-allow-methods")).toBe(false);
    expect(response.headers.has("access-control-allow-headers")).toBe(false);
  });

  test("answers a preflight from a denied origin without Access-Control-Allow-Origin", async () => {
    const response = await request("/api/v1/prospects", {
      method: "OPTIONS",
      headers: { origin: "https://evil.example.com", "access-control-request-method": "POST" },
    });
    expect(response.headers.has("access-control-allow-origin")).toBe(false);
    expect(response.headers.has("access-control-allow-methods")).toBe(false);
  });
});

describe("CORS in development without ALLOWED_ORIGINS", () => {
  const { request } = buildTestApp({ env: { NODE_ENV: "development" } });

  test.each(["http://localhost:5173", "http://127.0.0.1:8080"])("allows the local origin %s", async (origin) => {
    const response = await request("/health", { headers: { origin } });
    expect(response.headers.get("access-control-allow-origin")).toBe(origin);
  });

  test.each(["https://localhost.evil.com", "http://localhost.evil.com", "https://evil.example.com"])(
    "denies %s",
    async (origin) => {
      const response = await request("/health", { headers: { origin } });
      expect(response.headers.has("access-control-allow-origin")).toBe(false);
    },
  );
});

describe("CORS in production without ALLOWED_ORIGINS", () => {
  test("allows no cross-origin caller, not even localhost", async () => {
    const { request } = buildTestApp({
      env: {
        NODE_ENV: "production",
        JWT_SECRET: "a".repeat(40),
        JWT_REFRESH_SECRET: "b".repeat(40),
        METRICS_TOKEN: "m".repeat(40),
      },
    });
    const response = await request("/health", { headers: { origin: "http://localhost:5173" } });
    expect(response.headers.has("access-control-allow-origin")).toBe(false);
  });
});
