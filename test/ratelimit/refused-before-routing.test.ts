import { describe, expect, test } from "bun:test";
import { createMemoryLogger } from "../../src/observability/logger";
import { createRateLimiter } from "../../src/ratelimit/limiter";
import { buildTestApp, expectErrorEnvelope, testConfig } from "../helpers/app";

const config = testConfig({ RATE_LIMIT_MAX: "4", TRUST_PROXY: "1", BODY_LIMIT: "1024" });
const limiter = createRateLimiter({ config, logger: createMemoryLogger() });
const { app } = buildTestApp({ deps: { config, limiter } });

let lastAddress = 0;
/** A client address of its own for each test, so that counts never carry over. */
const newAddress = () => `203.0.113.${++lastAddress}`;

const send = (address: string, path: string, init: RequestInit = {}) =>
  app.handle(
    new Request(`http://localhost${path}`, {
      ...init,
      headers: { "x-forwarded-for": address, ...(init.headers as Record<string, string>) },
    }),
  );

const refusals: Array<[string, number, string, string, RequestInit]> = [
  ["an unknown path", 404, "NotFound", "/api/v1/nowhere", {}],
  ["a known path with the wrong method", 405, "MethodNotAllowed", "/api/v1/auth/login", {}],
  [
    "a body past BODY_LIMIT",
    413,
    "PayloadTooLarge",
    "/api/v1/auth/login",
    { method: "POST", headers: { "content-type": "application/json" }, body: "x".repeat(2048) },
  ],
  [
    "a body that is not JSON",
    415,
    "UnsupportedMediaType",
    "/api/v1/auth/login",
    { method: "POST", headers: { "content-type": "text/plain" }, body: "hello" },
  ],
];

describe("/api/v1 requests refused before any route ran", () => {
  test.each(refusals)(
    "%s (%i) carries the general policy's rate-limit headers",
    async (_name, status, error, path, init) => {
      const response = await send(newAddress(), path, init);
      await expectErrorEnvelope(response, status, error);
      expect(response.headers.get("x-ratelimit-limit")).toBe("4");
      expect(response.headers.get("x-ratelimit-remaining")).toBe("3");
      expect(response.headers.get("ratelimit-policy")).toBe('"general";q=4;w=60');
    },
  );

  test("count against the client's address: 404s use up the general limit, then every route answers 429", async () => {
    const address = newAddress();
    for (let i = 0; i < 4; i++) await expectErrorEnvelope(await send(address, `/api/v1/probe-${i}`), 404, "NotFound");

    const refused = await send(address, "/api/v1/probe-5");
    const body = await expectErrorEnvelope(refused, 429, "TooManyRequests");
    expect(body.message).toBe("Too many requests, please try again later");
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(refused.headers.get("x-ratelimit-remaining")).toBe("0");
    const login = await send(address, "/api/v1/auth/login", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "a@example.com", password: "whatever" }),
    });
    await expectErrorEnvelope(login, 429, "TooManyRequests");

    // Another address has its own count.
    const other = await send(newAddress(), "/api/v1/probe-0");
    await expectErrorEnvelope(other, 404, "NotFound");
    expect(other.headers.get("x-ratelimit-remaining")).toBe("3");
  });

  test("outside /api/v1 a 404 is neither counted nor given rate-limit headers", async () => {
    const address = newAddress();
    for (let i = 0; i < 6; i++) {
      const response = await send(address, "/nowhere");
      await expectErrorEnvelope(response, 404, "NotFound");
      expect(response.headers.get("x-ratelimit-limit")).toBeNull();
    }
  });
});
