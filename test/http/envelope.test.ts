import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { t } from "elysia";
import { ok } from "../../src/http/envelope";
import { httpError } from "../../src/http/errors";
import { buildTestApp, expectErrorEnvelope } from "../helpers/app";

const productionSecrets = {
  JWT_SECRET: "a".repeat(40),
  JWT_REFRESH_SECRET: "b".repeat(40),
  METRICS_TOKEN: "m".repeat(40),
};

/** The app as createApp builds it, plus routes registered afterwards, as feature modules will be. */
function appWithTestRoutes(env: Record<string, string> = {}) {
  const built = buildTestApp({ env });
  built.app
    .post("/echo", ({ body }) => ok(body), {
      body: t.Object({
        email: t.String({ format: "email" }),
        password: t.String({ minLength: 8, maxLength: 128 }),
      }),
    })
    .post("/api/v1/notes", ({ body }) => ok(body), { body: t.Object({ text: t.String() }) })
    .get("/boom", () => {
      throw new Error("relation users does not exist at /srv/app/src/modules/users/repository.ts:12");
    })
    .get("/fail/:status", ({ params }) => {
      throw httpError(Number(params.status), `Failure ${params.status} from a route`);
    });
  return built;
}

const json = (body: string, headers: Record<string, string> = {}): RequestInit => ({
  method: "POST",
  headers: { "content-type": "application/json", ...headers },
  body,
});

const validLogin = JSON.stringify({ email: "user@example.com", password: "password123" });

describe("error envelope", () => {
  const { request } = appWithTestRoutes({ BODY_LIMIT: String(1024 * 1024) });

  test("answers malformed JSON with 400 BadRequest", async () => {
    const body = await expectErrorEnvelope(await request("/echo", json('{"email": ')), 400, "BadRequest");
    expect(body.message).toBe("Malformed JSON body");
    expect(body.path).toBe("/echo");
    expect(body.method).toBe("POST");
  });

  test("answers an unknown path with 404 NotFound", async () => {
    const body = await expectErrorEnvelope(await request("/nope"), 404, "NotFound");
    expect(body.path).toBe("/nope");
    expect(body.method).toBe("GET");
  });

  test("answers an unknown path under /api/v1 with 404 NotFound", async () => {
    const body = await expectErrorEnvelope(await request("/api/v1/unknown-thing"), 404, "NotFound");
    expect(body.path).toBe("/api/v1/unknown-thing");
  });

  test("answers a known path with the wrong method with 405 and an Allow header", async () => {
    const response = await request("/health", { method: "DELETE" });
    const body = await expectErrorEnvelope(response, 405, "MethodNotAllowed");
    expect(body.method).toBe("DELETE");
    expect(response.headers.get("allow")?.split(", ").sort()).toEqual(["GET", "HEAD"]);
  });

  test("answers an /api/v1 route with the wrong method with 405 and an Allow header", async () => {
    const response = await request("/api/v1/auth/login", { method: "GET" });
    const body = await expectErrorEnvelope(response, 405, "MethodNotAllowed");
    expect(body.path).toBe("/api/v1/auth/login");
    expect(response.headers.get("allow")).toBe("POST");
  });

  test("answers a body declared larger than BODY_LIMIT with 413 PayloadTooLarge", async () => {
    const big = "x".repeat(2 * 1024 * 1024);
    const response = await request("/echo", json(big, { "content-length": String(big.length) }));
    await expectErrorEnvelope(response, 413, "PayloadTooLarge");
  });

  test.each([
    ["text/plain", "hello"],
    ["application/x-www-form-urlencoded", "email=a%40b.c&password=password123"],
  ])("answers a %s body with 415 UnsupportedMediaType", async (type, payload) => {
    const response = await request("/echo", { method: "POST", headers: { "content-type": type }, body: payload });
    await expectErrorEnvelope(response, 415, "UnsupportedMediaType");
  });

  test("answers invalid fields with 422 and errors keyed by field in the seed's words", async () => {
    const response = await request("/echo", json(JSON.stringify({ email: "not-an-email", password: "short" })));
    const body = await expectErrorEnvelope(response, 422, "ValidationError");
    expect(body.message).toBe("Validation failed");
    expect(body.errors).toEqual({
      email: ["Invalid email format"],
      password: ["Password must be at least 8 characters"],
    });
  });

  test("answers a missing field with 422 saying the field is required", async () => {
    const response = await request("/echo", json(JSON.stringify({ email: "user@example.com" })));
    const body = await expectErrorEnvelope(response, 422, "ValidationError");
    expect(body.errors).toEqual({ password: ["Password is required"] });
  });

  test("validates routes registered under /api/v1 after createApp too", async () => {
    const response = await request("/api/v1/notes", json(JSON.stringify({})));
    const body = await expectErrorEnvelope(response, 422, "ValidationError");
    expect(body.errors).toEqual({ text: ["Text is required"] });
  });

  test("accepts a valid body on a route registered after createApp", async () => {
    const response = await request("/echo", json(validLogin));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ success: true, data: JSON.parse(validLogin) });
  });

  test.each([
    [401, "Unauthorized"],
    [403, "Forbidden"],
    [409, "Conflict"],
    [429, "TooManyRequests"],
    [503, "ServiceUnavailable"],
  ])("answers httpError(%i) from a route with the %s envelope and its message", async (status, name) => {
    const body = await expectErrorEnvelope(await request(`/fail/${status}`), status, name);
    expect(body.message).toBe(`Failure ${status} from a route`);
    expect(body.path).toBe(`/fail/${status}`);
  });

  test("refuses JSON nested 1000 levels deep with 400", async () => {
    const deep = `${"[".repeat(1000)}${"]".repeat(1000)}`;
    const body = await expectErrorEnvelope(await request("/api/v1/notes", json(deep)), 400, "BadRequest");
    expect(body.message).toBe("JSON body is nested deeper than 32 levels");
  });

  test("refuses a body that is not valid UTF-8 with 400", async () => {
    const bytes = new Uint8Array([...Buffer.from('{"text":"'), 0xc3, 0x28, 0xff, ...Buffer.from('"}')]);
    const response = await request("/api/v1/notes", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: bytes,
    });
    const body = await expectErrorEnvelope(response, 400, "BadRequest");
    expect(body.message).toBe("Request body is not valid UTF-8");
  });

  test("accepts an escaped NUL character inside a JSON string as data", async () => {
    const response = await request("/api/v1/notes", json('{"text":"a\\u0000b"}'));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ success: true, data: { text: "a\u0000b" } });
  });

  test("refuses a raw NUL byte inside a JSON string as malformed JSON, not a server error", async () => {
    const response = await request("/api/v1/notes", json('{"text":"a\u0000b"}'));
    const body = await expectErrorEnvelope(response, 400, "BadRequest");
    expect(body.message).toBe("Malformed JSON body");
  });
});

describe("500 from a throwing route", () => {
  test("hides the error's message and any file path in production", async () => {
    const { request } = appWithTestRoutes({ NODE_ENV: "production", ...productionSecrets });
    const response = await request("/boom");
    const body = await expectErrorEnvelope(response, 500, "InternalServerError");
    expect(body.message).toBe("Internal server error");
    const text = JSON.stringify(body);
    expect(text).not.toContain("/srv/app");
    expect(text).not.toContain("repository.ts");
    expect(text).not.toContain("relation users");
  });

  test("shows the error's message in development", async () => {
    const { request } = appWithTestRoutes({ NODE_ENV: "development" });
    const body = await expectErrorEnvelope(await request("/boom"), 500, "InternalServerError");
    expect(body.message).toBe("relation users does not exist at /srv/app/src/modules/users/repository.ts:12");
    expect(body).not.toHaveProperty("stack");
  });
});

describe("request id", () => {
  const { request } = appWithTestRoutes();

  test("keeps a well-formed incoming X-Request-Id on success and error responses", async () => {
    const id = "trace-01HZX.abc:def_9";
    const health = await request("/health", { headers: { "x-request-id": id } });
    expect(health.headers.get("x-request-id")).toBe(id);
    await expectErrorEnvelope(await request("/nope", { headers: { "x-request-id": id } }), 404, "NotFound", {
      requestId: id,
    });
  });

  test.each([
    ["200 characters long", "a".repeat(200)],
    ["containing spaces", "abc def"],
    ["containing a quote", 'abc"def'],
  ])("replaces an incoming X-Request-Id %s with a generated one", async (_, id) => {
    const body = await expectErrorEnvelope(
      await request("/nope", { headers: { "x-request-id": id } }),
      404,
      "NotFound",
    );
    expect(body.requestId).not.toBe(id);
  });

  test("gives a success response a generated X-Request-Id", async () => {
    const response = await request("/health");
    expect(response.headers.get("x-request-id")).toMatch(/^req_\d{10}_[a-z0-9]{6,}$/);
  });
});

describe("body limit on a real socket", () => {
  const { app } = appWithTestRoutes();
  let base = "";

  beforeAll(() => {
    app.listen({ port: 0, hostname: "127.0.0.1" });
    base = `http://127.0.0.1:${app.server?.port}`;
  });
  afterAll(() => app.stop(true));

  test("refuses a 2 MiB body sent with Content-Length with 413", async () => {
    const big = "x".repeat(2 * 1024 * 1024);
    const response = await fetch(`${base}/echo`, json(big));
    await expectErrorEnvelope(response, 413, "PayloadTooLarge");
  });

  test("refuses a 2 MiB chunked body without Content-Length with 413", async () => {
    const chunk = new TextEncoder().encode(`"${"x".repeat(64 * 1024 - 2)}"`);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 2 * 1024 * 1024) return controller.close();
        sent += chunk.byteLength;
        controller.enqueue(chunk);
      },
    });
    const response = await fetch(`${base}/echo`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: stream,
    });
    const body = await expectErrorEnvelope(response, 413, "PayloadTooLarge");
    expect(body.message).toBe("Request body exceeds the limit of 1048576 bytes");
  });
});
