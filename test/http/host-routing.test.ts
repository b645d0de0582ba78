import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { App } from "../../src/app";
import { createMetrics } from "../../src/observability/metrics";
import { buildTestApp } from "../helpers/app";
import { createTestDatabase, type TestDatabase } from "../helpers/database";
import { cheapHashEnv, jsonRequest, login, seedOrganization } from "../helpers/fixtures";
import { type RawResponse, rawRequest } from "../helpers/raw-http";

// Through a real socket: Bun builds request.url from the Host header (fetch and app.handle never
// send a short or repeated one), and routes it natively before Elysia's own path arithmetic runs.
let database: TestDatabase;
let app: App;
let port: number;
let token: string;
let prospectId: string;

beforeAll(async () => {
  database = await createTestDatabase("sqlite");
  const metrics = createMetrics();
  app = buildTestApp({ env: cheapHashEnv, deps: { db: database.db, metrics, observers: [metrics.observe] } }).app;
  const org = await seedOrganization(database.db, "Hosts");
  token = (await login(app, org.user)).accessToken;
  const created = await app.handle(
    jsonRequest("POST", "/api/v1/prospects", { email: "ada@hosts.example.com" }, { authorization: `Bearer ${token}` }),
  );
  prospectId = ((await created.json()) as { data: { id: string } }).data.id;
  app.listen({ hostname: "127.0.0.1", port: 0 });
  port = app.server?.port ?? 0;
});
afterAll(async () => {
  await app.stop(true);
  await database.drop();
});

const send = (path: string, hostLines: string): Promise<RawResponse> =>
  rawRequest(port, `GET ${path} HTTP/1.1\r\n${hostLines}Authorization: Bearer ${token}`);

const hosts: [string, string][] = [
  ["a", "Host: a\r\n"],
  ["ab", "Host: ab\r\n"],
  ["abc", "Host: abc\r\n"],
  ["[::1]", "Host: [::1]\r\n"],
  ["a:1", "Host: a:1\r\n"],
  ["localhost:8080", "Host: localhost:8080\r\n"],
];

describe("a request is routed by its path whatever its Host", () => {
  describe.each(hosts)("Host: %s", (_name, hostLines) => {
    test.each(["/zz/health", "/zz/metrics", "/zz/api/v1/prospects", "/a/b/c/d/health"])(
      "%s is a 404, not the route at its tail",
      async (path) => {
        const response = await send(path, hostLines);
        expect(response.status).toBe(404);
        const body = JSON.parse(response.body);
        expect(body).toMatchObject({ success: false, error: "NotFound", path });
      },
    );

    test("GET /api/v1/prospects/:id answers that prospect, with its own path in errors", async () => {
      const response = await send(`/api/v1/prospects/${prospectId}`, hostLines);
      expect(response.status).toBe(200);
      expect(JSON.parse(response.body).data.id).toBe(prospectId);
      const missing = await send("/api/v1/prospects/0190f1c4-0000-7000-8000-000000000000", hostLines);
      expect(missing.status).toBe(404);
      expect(JSON.parse(missing.body).path).toBe("/api/v1/prospects/0190f1c4-0000-7000-8000-000000000000");
    });

    test("/health and /metrics answer at their own paths", async () => {
      expect((await send("/health", hostLines)).status).toBe(200);
      const metrics = await send("/metrics", hostLines);
      expect(metrics.status).toBe(200);
      expect(metrics.body).toContain("# TYPE");
    });
  });
});

describe("a repeated, empty, missing or malformed Host is a 400 envelope (RFC 9112 §3.2)", () => {
  const refused: [string, string, string][] = [
    ["repeated", "Host: a\r\nHost: b\r\n", "HTTP/1.1"],
    ["repeated, same value", "Host: abc\r\nhost: abc\r\n", "HTTP/1.1"],
    ["empty", "Host: \r\n", "HTTP/1.1"],
    ["missing (HTTP/1.0)", "", "HTTP/1.0"],
    ["with a path", "Host: a/zz\r\n", "HTTP/1.1"],
    ["with a space", "Host: a b\r\n", "HTTP/1.1"],
    ["with userinfo", "Host: a@b\r\n", "HTTP/1.1"],
    ["with a comma", "Host: a,b\r\n", "HTTP/1.1"],
    ["with a scheme", "Host: http://a\r\n", "HTTP/1.1"],
    ["an open IPv6 literal", "Host: [::1\r\n", "HTTP/1.1"],
    ["a non-numeric port", "Host: a:b\r\n", "HTTP/1.1"],
  ];
  describe.each(refused)("Host %s", (_name, hostLines, version) => {
    test.each(["/zz/health", "/zz/metrics", "/zz/api/v1/prospects", "/api/v1/prospects/:id", "/health"])(
      "%s",
      async (template) => {
        const path = template.replace(":id", prospectId);
        const response = await rawRequest(port, `GET ${path} ${version}\r\n${hostLines}Authorization: Bearer ${token}`);
        expect(response.status).toBe(400);
        expect(response.headers["content-type"]).toStartWith("application/json");
        expect(response.headers["x-request-id"]).toMatch(/^req_/);
        const body = JSON.parse(response.body);
        expect(body).toMatchObject({ success: false, error: "BadRequest", statusCode: 400, path, method: "GET" });
        expect(body.message).toContain("Host");
      },
    );
  });
});
