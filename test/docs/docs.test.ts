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
    expect(doc.openapi).toMatch(/^3\.\d+\.\d+$/);
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
    expect(doc.paths["/health"]?.get?.security).toBeUndefined();
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
