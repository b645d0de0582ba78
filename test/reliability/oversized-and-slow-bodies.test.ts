import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { expectErrorBody } from "./support/envelope";
import { rawUpload } from "./support/raw-upload";
import { productionEnv, type RunningServer, spawnServer } from "./support/server";

const tenMegabytes = 10 * 1024 * 1024;
const bodyLimit = 1024 * 1024;
const requestTimeoutS = 2;
const login = "/api/v1/auth/login";
const json = { "content-type": "application/json" };

describe("bodies that are too big or too slow, over a real socket", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await spawnServer({
      ...productionEnv,
      RATE_LIMIT_AUTH_MAX: "1000",
      BODY_LIMIT: String(bodyLimit),
      REQUEST_TIMEOUT_S: String(requestTimeoutS),
    });
  });
  afterAll(() => server.dispose());

  test.each([
    ["declares 10 MB in Content-Length", false],
    ["streams 10 MB chunked, with no length", true],
  ])("a client that %s is refused with the 413 envelope and the connection is closed", async (_name, chunked) => {
    const response = await fetch(`${server.base}${login}`, {
      method: "POST",
      headers: json,
      body: chunked ? stream(tenMegabytes) : new Uint8Array(tenMegabytes),
    });
    expect(response.status).toBe(413);
    expect(response.headers.get("connection")).toBe("close");
    const body = (await response.json()) as Record<string, unknown>;
    expectErrorBody(body, 413);
    expect(body.message).toBe(`Request body exceeds the limit of ${bodyLimit} bytes`);
  });

  test.each([
    ["declared in Content-Length", false],
    ["chunked", true],
  ])("a 10 MB body %s is cut off promptly, long before the server has taken it all", async (_name, chunked) => {
    const upload = await rawUpload({
      port: server.port,
      path: login,
      headers: json,
      size: tenMegabytes,
      chunk: 64 * 1024,
      chunked,
      limitMs: 5000,
    });
    // What the client could hand over includes the kernel's socket buffers (a few MB on loopback).
    expect(upload.closedMs).toBeLessThan(1000);
    expect(upload.bytesSent).toBeLessThan(tenMegabytes / 2);
  });

  // Bodies that declare their length are read in one native read (src/http/json-body.ts): the
  // limit, bad UTF-8 and bad JSON must still be what a client sees.
  const loginBody = (size: number) => {
    const shell = JSON.stringify({ email: "lead@x.io", password: "" });
    return `${shell.slice(0, -2)}${"p".repeat(size - shell.length)}"}`;
  };

  test.each([
    ["exactly the limit", 422, bodyLimit],
    ["one byte over the limit", 413, bodyLimit + 1],
  ])("a body of %s declared in Content-Length gets %d", async (_name, status, size) => {
    const body = loginBody(size);
    expect(new TextEncoder().encode(body).byteLength).toBe(size);
    const response = await fetch(`${server.base}${login}`, { method: "POST", headers: json, body });
    expect(response.status).toBe(status);
    expectErrorBody((await response.json()) as Record<string, unknown>, status);
  });

  test.each([
    [
      "bytes that are not UTF-8",
      new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]),
      "Request body is not valid UTF-8",
    ],
    ["JSON cut short", new TextEncoder().encode('{"email":"lead@x.io"'), "Malformed JSON body"],
  ])("a declared-length body of %s gets the 400 envelope", async (_name, body, message) => {
    const response = await fetch(`${server.base}${login}`, { method: "POST", headers: json, body });
    expect(response.status).toBe(400);
    const parsed = (await response.json()) as Record<string, unknown>;
    expectErrorBody(parsed, 400);
    expect(parsed.message).toBe(message);
  });

  test("a body trickling in a byte a second gets the 503 envelope at REQUEST_TIMEOUT_S, then the close, and the server serves on", async () => {
    const upload = await rawUpload({
      port: server.port,
      path: login,
      headers: json,
      size: 100,
      chunk: 1,
      everyMs: 1000,
      limitMs: 15_000,
    });
    // The app's deadline answers (its check runs every 100 ms at this setting), never Bun's silent close.
    expect(upload.status).toBe(503);
    expect(upload.responseMs).toBeGreaterThanOrEqual(requestTimeoutS * 1000);
    expect(upload.responseMs).toBeLessThan(requestTimeoutS * 1000 + 1000);
    expect(upload.response).toMatch(/\r\nconnection: close\r\n/i);
    expect(upload.response).toMatch(/\r\nretry-after: 5\r\n/i);
    expectErrorBody(JSON.parse(upload.response.slice(upload.response.indexOf("\r\n\r\n") + 4)), 503);
    expect(upload.closedMs).toBeLessThan(requestTimeoutS * 1000 + 5000);
    expect(upload.bytesSent).toBeLessThan(10);
    expect((await fetch(`${server.base}/health`)).status).toBe(200);
    expect(server.stderr()).not.toContain('"msg":"request failed"');
  }, 20_000);
});

/** A body of `size` bytes in 64 KB chunks, sent with Transfer-Encoding: chunked. */
function stream(size: number): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= size) return controller.close();
      const n = Math.min(64 * 1024, size - sent);
      sent += n;
      controller.enqueue(new Uint8Array(n).fill(32));
    },
  });
}
