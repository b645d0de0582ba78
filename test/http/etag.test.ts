import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createMemoryLogger } from "../../src/observability/logger";
import { createRateLimiter, type RateLimiter } from "../../src/ratelimit/limiter";
import { buildTestApp, testConfig } from "../helpers/app";
import { createTestDatabase, type TestDatabase } from "../helpers/database";
import { bearer, cheapHashEnv, login, seedOrganization } from "../helpers/fixtures";

const weakTag = /^W\/"[0-9a-z]+-[0-9a-z]+"$/;

function appWithWidgets() {
  const widgets = new Map([
    ["1", "first"],
    ["2", "second"],
  ]);
  const built = buildTestApp();
  built.app
    .get("/api/v1/test-widgets", () => ({
      success: true,
      data: [...widgets].map(([id, name]) => ({ id, name })),
      meta: { limit: 20, nextCursor: null, hasMore: false },
    }))
    .get("/api/v1/test-widgets/:id", ({ params }) => ({
      success: true,
      data: { id: params.id, name: widgets.get(params.id) },
    }))
    .post("/api/v1/test-widgets", ({ set }) => {
      set.status = 201;
      return { success: true, data: { id: "3", name: "third" } };
    })
    .get("/test-outside", () => ({ success: true, data: {} }));
  return { ...built, widgets };
}

describe("ETag and If-None-Match on API reads", () => {
  const { request, widgets } = appWithWidgets();

  test.each(["/api/v1/test-widgets/1", "/api/v1/test-widgets"])(
    "GET %s carries a weak ETag that repeats while the body does",
    async (path) => {
      const first = await request(path);
      const second = await request(path);
      expect(first.status).toBe(200);
      expect(first.headers.get("etag")).toMatch(weakTag);
      expect(second.headers.get("etag")).toBe(first.headers.get("etag"));
    },
  );

  test.each(["/api/v1/test-widgets/1", "/api/v1/test-widgets"])(
    "a matching If-None-Match on %s gives 304 with no body, the same ETag and the usual headers",
    async (path) => {
      const etag = (await request(path)).headers.get("etag") as string;
      const response = await request(path, { headers: { "if-none-match": etag, "x-request-id": "client-trace-304" } });
      expect(response.status).toBe(304);
      expect(await response.text()).toBe("");
      expect(response.headers.get("etag")).toBe(etag);
      expect(response.headers.get("x-request-id")).toBe("client-trace-304");
      expect(response.headers.get("cache-control")).toBe("private, no-cache");
      expect(response.headers.get("x-content-type-options")).toBe("nosniff");
      expect(response.headers.get("strict-transport-security")).toBe("max-age=31536000");
      expect(response.headers.get("content-encoding")).toBeNull();
    },
  );

  test("a changed resource gets a new ETag, and the old one gives the new body with 200", async () => {
    const before = (await request("/api/v1/test-widgets/2")).headers.get("etag") as string;
    const listBefore = (await request("/api/v1/test-widgets")).headers.get("etag") as string;
    widgets.set("2", "second, renamed");
    const after = await request("/api/v1/test-widgets/2", { headers: { "if-none-match": before } });
    expect(after.status).toBe(200);
    expect(after.headers.get("etag")).toMatch(weakTag);
    expect(after.headers.get("etag")).not.toBe(before);
    expect(await after.json()).toEqual({ success: true, data: { id: "2", name: "second, renamed" } });
    const list = await request("/api/v1/test-widgets", { headers: { "if-none-match": listBefore } });
    expect(list.status).toBe(200);
    expect(list.headers.get("etag")).not.toBe(listBefore);
  });

  test.each([
    ["a list of tags containing it", 304, (tag: string) => `W/"other", ${tag}`],
    ["its strong form", 304, (tag: string) => tag.slice(2)],
    ["*", 304, () => "*"],
    ["another tag", 200, () => 'W/"0-0"'],
  ])("If-None-Match with %s answers %d", async (_, status, header) => {
    const etag = (await request("/api/v1/test-widgets/1")).headers.get("etag") as string;
    const response = await request("/api/v1/test-widgets/1", { headers: { "if-none-match": header(etag) } });
    expect(response.status).toBe(status);
  });

  test("the ETag is the same for every content coding, and a compressed read revalidates to 304", async () => {
    widgets.set("big", "x".repeat(4000));
    const tags = await Promise.all(
      ["br", "gzip", "identity"].map(async (encoding) => {
        const response = await request("/api/v1/test-widgets/big", { headers: { "accept-encoding": encoding } });
        expect(response.headers.get("content-encoding")).toBe(encoding === "identity" ? null : encoding);
        return response.headers.get("etag");
      }),
    );
    expect(new Set(tags).size).toBe(1);
    const revalidated = await request("/api/v1/test-widgets/big", {
      headers: { "accept-encoding": "br", "if-none-match": tags[0] as string },
    });
    expect(revalidated.status).toBe(304);
    expect(revalidated.headers.get("vary")).toBe("Accept-Encoding");
    expect(await revalidated.text()).toBe("");
  });

  test("HEAD carries GET's ETag and revalidates the same way", async () => {
    const etag = (await request("/api/v1/test-widgets/1")).headers.get("etag") as string;
    const head = await request("/api/v1/test-widgets/1", { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("etag")).toBe(etag);
    const conditional = await request("/api/v1/test-widgets/1", { method: "HEAD", headers: { "if-none-match": etag } });
    expect(conditional.status).toBe(304);
  });

  test.each([
    ["a POST", "/api/v1/test-widgets", "POST", 201],
    ["an error", "/api/v1/no-such-thing", "GET", 404],
    ["a read outside /api/v1", "/test-outside", "GET", 200],
  ])("%s carries no ETag", async (_, path, method, status) => {
    const response = await request(path, { method, headers: { "if-none-match": "*" } });
    expect(response.status).toBe(status);
    expect(response.headers.get("etag")).toBeNull();
  });
});

describe("ETag on a real route behind auth and rate limits", () => {
  let database: TestDatabase;
  let limiter: RateLimiter;

  beforeAll(async () => {
    database = await createTestDatabase("sqlite");
  });
  afterAll(async () => {
    await limiter?.close();
    await database.drop();
  });

  test("GET /api/v1/me revalidates to 304 that still shows the rate-limit headers", async () => {
    const config = testConfig(cheapHashEnv);
    limiter = createRateLimiter({ config, logger: createMemoryLogger() });
    const { app, request } = buildTestApp({ env: cheapHashEnv, deps: { db: database.db, limiter } });
    const org = await seedOrganization(database.db, "Etag Co");
    const { accessToken } = await login(app, org.user);

    const first = await request("/api/v1/me", { headers: bearer(accessToken) });
    expect(first.status).toBe(200);
    const etag = first.headers.get("etag") as string;
    expect(etag).toMatch(weakTag);
    const second = await request("/api/v1/me", { headers: { ...bearer(accessToken), "if-none-match": etag } });
    expect(second.status).toBe(304);
    expect(await second.text()).toBe("");
    expect(second.headers.get("etag")).toBe(etag);
    expect(second.headers.get("cache-control")).toBe("no-store");
    expect(second.headers.get("x-ratelimit-limit")).toBe("100");
    expect(Number(second.headers.get("x-ratelimit-remaining"))).toBe(
      Number(first.headers.get("x-ratelimit-remaining")) - 1,
    );
    expect(second.headers.get("x-ratelimit-reset")).toMatch(/^\d{10}$/);
    expect(second.headers.get("x-request-id")).toMatch(/^req_\d{10}_[a-z0-9]+$/);
  });
});
