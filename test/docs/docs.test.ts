import { describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { brotliDecompressSync } from "node:zlib";
import { buildTestApp, expectErrorEnvelope } from "../helpers/app";
import { openDocsInBrowser } from "./browser";

const swaggerDist = dirname(Bun.resolveSync("swagger-ui-dist/package.json", import.meta.dir));
const methods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

describe("GET /docs/json", () => {
  const { request } = buildTestApp();

  test("is an OpenAPI 3 document of the app's routes, without the docs routes themselves", async () => {
    const response = await request("/docs/json");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type") ?? "").toStartWith("application/json");
    const doc = (await response.json()) as {
      openapi: string;
      info: { title: string; version: string };
      paths: Record<string, Record<string, { responses?: unknown; tags?: string[] }>>;
    };
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.info.title).toBe("Revenue API");
    expect(doc.info.version).toBe("1.0.0");
    const paths = Object.keys(doc.paths);
    expect(paths).toContain("/health");
    expect(paths).toContain("/health/ready");
    expect(paths).toContain("/api/v1/auth/login");
    expect(paths).toContain("/api/v1/me");
    expect(paths.filter((p) => p.startsWith("/docs"))).toEqual([]);
    for (const [path, item] of Object.entries(doc.paths)) {
      expect(path).toStartWith("/");
      for (const method of Object.keys(item)) expect(methods).toContain(method);
    }
    expect(doc.paths["/health"]?.get?.tags).toEqual(["health"]);
  });

  test("declares the Bearer (JWT) and ApiKey schemes, and routes name the ones they accept", async () => {
    const doc = (await (await request("/docs/json")).json()) as {
      components: { securitySchemes: Record<string, Record<string, string>> };
      paths: Record<string, Record<string, { security?: unknown }>>;
    };
    expect(doc.components.securitySchemes.bearer).toMatchObject({
      type: "http",
      scheme: "bearer",
      bearerFormat: "JWT",
    });
    expect(doc.components.securitySchemes.apiKey).toMatchObject({
      type: "apiKey",
      in: "header",
      name: "Authorization",
    });
    expect(doc.paths["/api/v1/me"]?.get?.security).toEqual([{ bearer: [] }, { apiKey: [] }]);
    expect(doc.paths["/health"]?.get?.security).toEqual([]);
  });
});

describe("GET /docs", () => {
  const { request } = buildTestApp();

  test("is an HTML page that loads only this server's files, under a CSP without unsafe-inline", async () => {
    const response = await request("/docs");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const csp = response.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain("unsafe-inline");
    expect(csp).not.toContain("unsafe-eval");
    expect(response.headers.get("x-frame-options")).toBe("DENY");
    const html = await response.text();
    expect(html).toContain('<div id="swagger-ui"></div>');
    expect(html).not.toMatch(/<script>|<style|\sstyle=|\son\w+=/i);
    expect(html).not.toMatch(/https?:\/\//);
  });

  test.each([
    ["swagger-ui-bundle.js", "text/javascript; charset=utf-8"],
    ["swagger-ui.css", "text/css; charset=utf-8"],
    ["favicon-32x32.png", "image/png"],
  ])("serves %s from the installed swagger-ui-dist as %s", async (name, type) => {
    const response = await request(`/docs/assets/${name}`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe(type);
    expect(response.headers.get("content-encoding")).toBeNull();
    expect(response.headers.get("cache-control")).toBe("public, max-age=86400");
    const served = new Uint8Array(await response.arrayBuffer());
    expect(Buffer.compare(served, await Bun.file(join(swaggerDist, name)).bytes())).toBe(0);
  });

  test("serves the bundle brotli-compressed to a client that accepts it", async () => {
    const response = await request("/docs/assets/swagger-ui-bundle.js", { headers: { "accept-encoding": "br" } });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-encoding")).toBe("br");
    expect(response.headers.get("vary")).toContain("Accept-Encoding");
    const decoded = brotliDecompressSync(new Uint8Array(await response.arrayBuffer()));
    const original = await Bun.file(join(swaggerDist, "swagger-ui-bundle.js")).bytes();
    expect(Buffer.compare(decoded, original)).toBe(0);
  });

  test("serves the page's start-up script, which points Swagger UI at /docs/json", async () => {
    const response = await request("/docs/assets/init.js");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    const script = await response.text();
    expect(script).toContain('url: "/docs/json"');
    expect(script).toContain("validatorUrl: null");
  });

  test("answers an unknown asset with the 404 envelope", async () => {
    await expectErrorEnvelope(await request("/docs/assets/index.html"), 404, "NotFound");
  });
});

describe("DOCS_ENABLED=false", () => {
  const { request } = buildTestApp({ env: { DOCS_ENABLED: "false" } });

  test.each(["/docs", "/docs/json", "/docs/assets/swagger-ui-bundle.js"])(
    "answers %s with the 404 envelope",
    async (path) => {
      await expectErrorEnvelope(await request(path), 404, "NotFound");
    },
  );
});

const chromiumPath = "/usr/bin/chromium";

describe("the docs page in a browser", () => {
  const available = existsSync(chromiumPath);
  if (!available && process.env.CI) {
    test("needs Chromium under CI", () => {
      throw new Error(`${chromiumPath} is missing; CI installs it (apt-get install chromium)`);
    });
    return;
  }
  if (!available) {
    test.skip(`renders every operation offline (skipped: no ${chromiumPath})`, () => {});
    return;
  }

  test("renders the operations and calls /health from 'Try it out', with no request leaving the server and no CSP violation", async () => {
    const { app } = buildTestApp();
    const visit = await openDocsInBrowser(app, chromiumPath);
    expect(visit.operations).toContain("/health");
    expect(visit.operations).toContain("/api/v1/auth/login");
    expect(visit.tryItOutStatus).toBe(200);
    expect(visit.foreignRequests).toEqual([]);
    expect(visit.cspViolations).toEqual([]);
    expect(visit.pageErrors).toEqual([]);
  }, 60_000);
});

describe("the OpenAPI document is complete", () => {
  const { request } = buildTestApp();
  type Doc = {
    servers: Array<{ url: string }>;
    tags: Array<{ name: string }>;
    info: { license?: { name: string }; contact?: unknown };
    paths: Record<string, Record<string, Record<string, unknown>>>;
    components: { schemas: Record<string, unknown>; responses: Record<string, unknown> };
  };
  const load = async () => (await (await request("/docs/json")).json()) as Doc;
  const operations = (doc: Doc) =>
    Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.entries(item).map(([method, operation]) => ({ path, method, operation })),
    );

  test("describes login's body as JSON, with its schema and the seed's example", async () => {
    const doc = await load();
    const body = doc.paths["/api/v1/auth/login"]?.post?.requestBody as {
      required: boolean;
      content: Record<string, { schema: { properties: Record<string, unknown> }; example: unknown }>;
    };
    expect(body.required).toBe(true);
    expect(Object.keys(body.content)).toEqual(["application/json"]);
    expect(Object.keys(body.content["application/json"]?.schema.properties ?? {})).toEqual(["email", "password"]);
    expect(body.content["application/json"]?.example).toEqual({ email: "user@example.com", password: "password123" });
  });

  test("types limit as an integer from 1 to 100 and sort as an enum", async () => {
    const doc = await load();
    const parameters = doc.paths["/api/v1/prospects"]?.get?.parameters as Array<{ name: string; schema: unknown }>;
    expect(parameters.find((p) => p.name === "limit")?.schema).toMatchObject({
      type: "integer",
      minimum: 1,
      maximum: 100,
    });
    expect(parameters.find((p) => p.name === "sort")?.schema).toMatchObject({
      type: "string",
      enum: ["createdAt", "-createdAt", "score", "-score"],
    });
    const create = doc.paths["/api/v1/prospects"]?.post?.parameters as Array<{ name: string; in: string }>;
    expect(create).toContainEqual(expect.objectContaining({ name: "Idempotency-Key", in: "header" }));
  });

  test("has a relative server, a license, a contact, every tag declared and security on every operation", async () => {
    const doc = await load();
    expect(doc.servers).toEqual([expect.objectContaining({ url: "/" })]);
    expect(doc.info.license?.name).toBeString();
    expect(doc.info.contact).toBeDefined();
    const declared = new Set(doc.tags.map((tag) => tag.name));
    for (const { path, method, operation } of operations(doc)) {
      for (const tag of operation.tags as string[])
        expect(declared.has(tag), `${method} ${path} tag ${tag}`).toBe(true);
      expect(operation.security, `${method} ${path}`).toBeArray();
      expect(operation.summary, `${method} ${path}`).toBeString();
      expect(operation.operationId, `${method} ${path}`).toMatch(/^[a-z][A-Za-z]+$/);
    }
    expect(doc.paths["/api/v1/auth/login"]?.post?.security).toEqual([]);
  });

  test("names PUBLIC_URL as its server when set", async () => {
    const response = await buildTestApp({ env: { PUBLIC_URL: "https://api.example.com" } }).request("/docs/json");
    const doc = (await response.json()) as Doc;
    expect(doc.servers.map((server) => server.url)).toEqual(["https://api.example.com"]);
  });

  test("refers to one ErrorEnvelope schema for every error, and carries no non-standard error keyword", async () => {
    const doc = await load();
    const text = JSON.stringify(doc);
    expect(text).not.toMatch(/"error":\s*"[^"]*must/);
    expect(doc.components.schemas.ErrorEnvelope).toBeDefined();
    const draft = doc.paths["/api/v1/ai/draft-email"]?.post?.responses as Record<string, { $ref?: string }>;
    expect(draft["401"]?.$ref).toBe("#/components/responses/Unauthorized");
    expect(text.match(/"success":\s*\{\s*"const":\s*false/g)?.length).toBe(1);
  });
});
