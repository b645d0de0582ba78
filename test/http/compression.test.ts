import { describe, expect, test } from "bun:test";
import { brotliDecompressSync } from "node:zlib";
import { buildTestApp } from "../helpers/app";

const items = Array.from({ length: 200 }, (_, i) => ({
  id: `01970000-0000-7000-8000-${String(i).padStart(12, "0")}`,
  email: `prospect${i}@example.com`,
  company: `Company ${i % 17}`,
  note: "Größe — 日本語",
}));
const largeBody = { success: true, data: items, meta: { limit: 200, nextCursor: null, hasMore: false } };
const largeJson = JSON.stringify(largeBody);
const metricsText = Array.from({ length: 100 }, (_, i) => `http_requests_total{route="/r${i}"} ${i}`).join("\n");

function appWith(env: Record<string, string> = {}) {
  const built = buildTestApp({ env });
  built.app
    .get("/api/v1/test-large", () => largeBody)
    .get("/api/v1/test-small", () => ({ success: true, data: { id: "1" } }))
    .post("/api/v1/test-large", ({ set }) => {
      set.status = 201;
      return largeBody;
    })
    .get("/api/v1/test-empty", ({ set }) => {
      set.status = 204;
    })
    .get("/api/v1/test-precompressed", () => {
      return new Response(Bun.gzipSync(largeJson), {
        headers: { "content-type": "application/json", "content-encoding": "gzip" },
      });
    })
    .get("/test-metrics", ({ set }) => {
      set.headers["content-type"] = "text/plain; version=0.0.4; charset=utf-8";
      return metricsText;
    });
  return built;
}

async function decoded(response: Response): Promise<string> {
  const bytes = new Uint8Array(await response.arrayBuffer());
  const encoding = response.headers.get("content-encoding");
  if (encoding === "br") return brotliDecompressSync(bytes).toString("utf8");
  if (encoding === "gzip") return Buffer.from(Bun.gunzipSync(bytes)).toString("utf8");
  return Buffer.from(bytes).toString("utf8");
}

describe("response compression", () => {
  const { request } = appWith();

  test.each([
    ["br", "br"],
    ["gzip", "gzip"],
    ["gzip, deflate, br", "gzip"],
    ["br;q=1, gzip;q=0.9", "br"],
    ["br;q=0.5, gzip;q=0.8", "gzip"],
    ["br;q=0, gzip", "gzip"],
    ["*", "gzip"],
    ["gzip;q=0.5, *;q=0.1", "gzip"],
    ["x-gzip", "gzip"],
    ["deflate", null],
    ["identity", null],
    ["gzip;q=0.4, identity", null],
    ["gzip;q=0.5, *", "br"],
    ["*;q=0, identity", null],
    ["br;q=0, gzip;q=0", null],
  ])(
    "Accept-Encoding %p gives a large JSON list Content-Encoding %p, decoding to the exact JSON",
    async (accept, expected) => {
      const response = await request("/api/v1/test-large", { headers: { "accept-encoding": accept } });
      expect(response.status).toBe(200);
      expect(response.headers.get("content-encoding")).toBe(expected);
      expect(response.headers.get("content-type")).toBe("application/json; charset=utf-8");
      expect(response.headers.get("vary")).toBe("Accept-Encoding");
      const text = await decoded(response);
      expect(text).toBe(largeJson);
    },
  );

  test("shrinks the large list at least fivefold with either coding", async () => {
    for (const encoding of ["br", "gzip"]) {
      const response = await request("/api/v1/test-large", { headers: { "accept-encoding": encoding } });
      const size = (await response.arrayBuffer()).byteLength;
      expect(size).toBeLessThan(Buffer.byteLength(largeJson) / 5);
    }
  });

  test("sends a large list uncompressed but with Vary to a client that names no coding", async () => {
    const response = await request("/api/v1/test-large");
    expect(response.headers.get("content-encoding")).toBeNull();
    expect(response.headers.get("vary")).toBe("Accept-Encoding");
    expect(await response.text()).toBe(largeJson);
  });

  test("adds Accept-Encoding to a Vary that already names Origin", async () => {
    const response = await request("/api/v1/test-large", {
      headers: { "accept-encoding": "br", origin: "http://localhost:5173" },
    });
    expect(response.headers.get("vary")).toBe("Origin, Accept-Encoding");
  });

  test("compresses other statuses than 200 too (a 201 from a POST)", async () => {
    const response = await request("/api/v1/test-large", { method: "POST", headers: { "accept-encoding": "gzip" } });
    expect(response.status).toBe(201);
    expect(response.headers.get("content-encoding")).toBe("gzip");
    expect(await decoded(response)).toBe(largeJson);
  });

  test("leaves a response under COMPRESSION_MIN_BYTES alone, without Vary", async () => {
    const response = await request("/api/v1/test-small", { headers: { "accept-encoding": "br, gzip" } });
    expect(response.headers.get("content-encoding")).toBeNull();
    expect(response.headers.get("vary")).toBeNull();
    expect(await response.json()).toEqual({ success: true, data: { id: "1" } });
  });

  test("leaves an error envelope alone", async () => {
    const response = await request("/api/v1/no-such-route", { headers: { "accept-encoding": "br" } });
    expect(response.status).toBe(404);
    expect(response.headers.get("content-encoding")).toBeNull();
    expect(((await response.json()) as { error: string }).error).toBe("NotFound");
  });

  test("sends a 204 with no body and no coding", async () => {
    const response = await request("/api/v1/test-empty", { headers: { "accept-encoding": "br" } });
    expect(response.status).toBe(204);
    expect(response.headers.get("content-encoding")).toBeNull();
    expect(await response.text()).toBe("");
  });

  test("does not encode a body a route already encoded", async () => {
    const response = await request("/api/v1/test-precompressed", { headers: { "accept-encoding": "br, gzip" } });
    expect(response.headers.get("content-encoding")).toBe("gzip");
    expect(await decoded(response)).toBe(largeJson);
  });

  test("compresses a large text body only for a client that asks", async () => {
    const plain = await request("/test-metrics");
    expect(plain.headers.get("content-encoding")).toBeNull();
    expect(await plain.text()).toBe(metricsText);
    const asked = await request("/test-metrics", { headers: { "accept-encoding": "gzip" } });
    expect(asked.headers.get("content-encoding")).toBe("gzip");
    expect(asked.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    expect(await decoded(asked)).toBe(metricsText);
  });
});

describe("response compression settings", () => {
  test("COMPRESSION=false sends every body as is, without Vary", async () => {
    const { request } = appWith({ COMPRESSION: "false" });
    const response = await request("/api/v1/test-large", { headers: { "accept-encoding": "br, gzip" } });
    expect(response.headers.get("content-encoding")).toBeNull();
    expect(response.headers.get("vary")).toBeNull();
    expect(await response.text()).toBe(largeJson);
  });

  test("COMPRESSION_MIN_BYTES raises the threshold", async () => {
    const { request } = appWith({ COMPRESSION_MIN_BYTES: String(Buffer.byteLength(largeJson) + 1) });
    const response = await request("/api/v1/test-large", { headers: { "accept-encoding": "br" } });
    expect(response.headers.get("content-encoding")).toBeNull();
    expect(await response.text()).toBe(largeJson);
  });

  test("counts bytes, not characters, against the threshold", async () => {
    // 400 three-byte characters: 400 UTF-16 units but 1200 UTF-8 bytes, over the 1024 default.
    const { app, request } = appWith();
    const text = "日".repeat(400);
    app.get("/api/v1/test-multibyte", () => ({ text }));
    const response = await request("/api/v1/test-multibyte", { headers: { "accept-encoding": "gzip" } });
    expect(response.headers.get("content-encoding")).toBe("gzip");
    expect(JSON.parse(await decoded(response))).toEqual({ text });
  });
});
