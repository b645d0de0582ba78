import { expect, test } from "bun:test";
import { buildTestApp } from "../helpers/app";

// The finisher builds every response from one reused Headers object (src/http/response-finisher.ts):
// what one response carried must never leak into the next.
function appWithOverride() {
  const built = buildTestApp({ env: { ALLOWED_ORIGINS: "https://app.example.com" } });
  built.app.get("/framed", ({ set }) => {
    set.headers["x-frame-options"] = "SAMEORIGIN";
    set.headers["x-extra"] = "only here";
    return { framed: true };
  });
  return built;
}

test("a response carries only its own headers, whatever the response before it carried", async () => {
  const { request } = appWithOverride();
  const withOrigin = await request("/health", { headers: { origin: "https://app.example.com" } });
  expect(withOrigin.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
  expect(withOrigin.headers.get("vary") ?? "").toContain("Origin");

  const plain = await request("/health");
  expect(plain.status).toBe(200);
  expect(plain.headers.has("access-control-allow-origin")).toBe(false);
  expect(plain.headers.has("access-control-expose-headers")).toBe(false);
  expect(plain.headers.get("vary") ?? "").not.toContain("Origin");
  expect(plain.headers.get("x-request-id")).not.toBe(withOrigin.headers.get("x-request-id"));
});

test("a route's own value for a security header applies to its response only", async () => {
  const { request } = appWithOverride();
  const framed = await request("/framed");
  expect(framed.headers.get("x-frame-options")).toBe("SAMEORIGIN");
  expect(framed.headers.get("x-extra")).toBe("only here");
  expect(await framed.json()).toEqual({ framed: true });

  const next = await request("/health");
  expect(next.headers.get("x-frame-options")).toBe("DENY");
  expect(next.headers.has("x-extra")).toBe(false);
  expect(next.headers.get("x-content-type-options")).toBe("nosniff");
});

test("a header repeated with the same value keeps it, and one whose value changes carries the new one", async () => {
  const built = buildTestApp({ env: {} });
  built.app.get("/tagged/:value", ({ params, set }) => {
    set.headers["x-tag"] = params.value;
    return { tag: params.value };
  });
  const { request } = built;
  const seen: (string | null)[] = [];
  for (const path of ["/tagged/a", "/tagged/a", "/tagged/b", "/health", "/tagged/b", "/tagged/a"]) {
    seen.push((await request(path)).headers.get("x-tag"));
  }
  expect(seen).toEqual(["a", "a", "b", null, "b", "a"]);
});
