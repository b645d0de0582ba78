import { describe, expect, test } from "bun:test";
import type { LogFormat } from "../../src/config";
import { accessLog } from "../../src/observability/access-log";
import { createLineWriter } from "../../src/observability/line-writer";
import { buildTestApp } from "../helpers/app";

/** An app whose access log goes through a real LineWriter into memory. */
function loggedApp(format: Exclude<LogFormat, "none">) {
  const chunks: string[] = [];
  const writer = createLineWriter((chunk) => chunks.push(chunk), { intervalMs: 10_000 });
  const log = accessLog(format, writer);
  if (!log) throw new Error(`no access log for ${format}`);
  const built = buildTestApp({ deps: { observers: [log] } });
  built.app.get("/api/v1/log-test-items", () => ({ success: true, data: [{ id: "p-1" }] }));
  built.app.get("/api/v1/log-test-items/:id", ({ params }) => ({ success: true, data: { id: params.id } }));

  /** The lines logged so far; observers run after the response, so wait for `count` of them. */
  const lines = async (count: number): Promise<string[]> => {
    for (let i = 0; i < 100; i++) {
      writer.flush();
      const all = chunks.join("").split("\n").filter(Boolean);
      if (all.length >= count) return all;
      await Bun.sleep(2);
    }
    throw new Error(`expected ${count} access log lines, got: ${chunks.join("")}`);
  };
  return { ...built, lines };
}

describe("access log formats", () => {
  test("writes combined lines in the seed's shape", async () => {
    const { request, lines } = loggedApp("combined");
    await request("/api/v1/log-test-items?limit=5", {
      headers: { "user-agent": "curl/8.5", referer: "https://a.example" },
    });
    const [line] = await lines(1);
    const match =
      /^(\S+) - - \[(\d{2})\/([A-Z][a-z]{2})\/(\d{4}):(\d{2}):(\d{2}):(\d{2}) \+0000\] "GET \/api\/v1\/log-test-items\?limit=5 HTTP\/1\.1" 200 (\d+|-) "https:\/\/a\.example" "curl\/8\.5"$/.exec(
        line ?? "",
      );
    expect(match).not.toBeNull();
    const [, ip, day, month, year, hh, mm, ss] = match as RegExpExecArray;
    expect(ip).toBe("127.0.0.1");
    const loggedAt = Date.parse(`${day} ${month} ${year} ${hh}:${mm}:${ss} GMT`);
    expect(Math.abs(loggedAt - Date.now())).toBeLessThan(60_000);
  });

  test("writes dev lines as method, path, status, milliseconds and bytes", async () => {
    const { request, lines } = loggedApp("dev");
    await request("/api/v1/log-test-items");
    const [line] = await lines(1);
    expect(line).toMatch(/^GET \/api\/v1\/log-test-items 200 \d+\.\d{3} ms - (\d+|-)$/);
  });

  test("writes one JSON object a line with the request id, status and duration", async () => {
    const { request, lines } = loggedApp("json");
    const response = await request("/api/v1/log-test-items/42", { method: "GET" });
    const [line] = await lines(1);
    const entry = JSON.parse(line ?? "") as Record<string, unknown>;
    expect(entry).toMatchObject({
      level: "info",
      msg: "request",
      requestId: response.headers.get("x-request-id") as string,
      method: "GET",
      path: "/api/v1/log-test-items/42",
      status: 200,
      ip: "127.0.0.1",
    });
    expect(entry.durationMs).toBeNumber();
    expect(entry.durationMs as number).toBeGreaterThanOrEqual(0);
  });

  test("carries the trace id of a valid traceparent in the JSON line", async () => {
    const { request, lines } = loggedApp("json");
    await request("/api/v1/log-test-items/42", {
      headers: { traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" },
    });
    const [line] = await lines(1);
    expect(JSON.parse(line ?? "")).toMatchObject({ traceId: "4bf92f3577b34da6a3ce929d0e0e4736" });
  });

  test.each([
    ["absent", undefined],
    ["uppercase hex", "00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01"],
    ["an all-zero trace id", "00-00000000000000000000000000000000-00f067aa0ba902b7-01"],
    ["version ff", "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"],
    ["a script", "00-<script>alert(1)</script>-00f067aa0ba902b7-01"],
  ])("gives a request whose traceparent is %s a new trace id, and never sends the value back", async (_, sent) => {
    const { request, lines } = loggedApp("json");
    const response = await request("/api/v1/log-test-items/42", { headers: sent ? { traceparent: sent } : {} });
    const body = await response.text();
    const [line] = await lines(1);
    const { traceId } = JSON.parse(line ?? "") as { traceId: string };
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(traceId).not.toBe("00000000000000000000000000000000");
    expect(sent?.toLowerCase() ?? "").not.toContain(traceId);
    expect(response.headers.get("traceparent")).toBeNull();
    if (sent) expect(`${[...response.headers.values()].join("\n")}${body}`).not.toContain(sent);
  });

  test("names the matched route template in the JSON line", async () => {
    const { request, lines } = loggedApp("json");
    await request("/api/v1/log-test-items/42");
    const [line] = await lines(1);
    expect(JSON.parse(line ?? "")).toMatchObject({ route: "/api/v1/log-test-items/:id" });
  });

  test("logs the byte count of a JSON response", async () => {
    const { request, lines } = loggedApp("dev");
    const response = await request("/api/v1/log-test-items");
    const size = (await response.arrayBuffer()).byteLength;
    const [line] = await lines(1);
    expect(line).toEndWith(` - ${size}`);
  });

  test.each([
    ["an unknown path", "/nope", {}, 404],
    ["a wrong method", "/health", { method: "DELETE" }, 405],
    ["a wrong content type", "/api/v1/log-test-items", { method: "POST", body: "x" }, 415],
  ] as const)("logs the error status of %s, not 200", async (_, path, init: RequestInit, status) => {
    const { request, lines } = loggedApp("dev");
    expect((await request(path, init)).status).toBe(status);
    const [line] = await lines(1);
    expect(line).toStartWith(`${init.method ?? "GET"} ${path} ${status} `);
  });
});

describe("line writer", () => {
  const capture = () => {
    const calls: string[] = [];
    return { calls, sink: (chunk: string) => calls.push(chunk) };
  };

  test("writes many lines in one sink call after the interval", async () => {
    const { calls, sink } = capture();
    const writer = createLineWriter(sink, { intervalMs: 20, maxBytes: 1 << 20 });
    for (let i = 0; i < 100; i++) writer.write(`line ${i}`);
    expect(calls).toHaveLength(0);
    await Bun.sleep(60);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toBe(`${Array.from({ length: 100 }, (_, i) => `line ${i}`).join("\n")}\n`);
  });

  test("flushes at once when the buffer reaches maxBytes", () => {
    const { calls, sink } = capture();
    const writer = createLineWriter(sink, { intervalMs: 10_000, maxBytes: 100 });
    const line = "x".repeat(30);
    for (let i = 0; i < 3; i++) writer.write(line);
    expect(calls).toHaveLength(0);
    writer.write(line);
    expect(calls).toEqual([`${[line, line, line, line].join("\n")}\n`]);
    writer.flush();
    expect(calls).toHaveLength(1);
  });

  test("flush() writes what is buffered, and nothing when the buffer is empty", async () => {
    const { calls, sink } = capture();
    const writer = createLineWriter(sink, { intervalMs: 20 });
    writer.flush();
    expect(calls).toHaveLength(0);
    writer.write("a");
    writer.write("b");
    writer.flush();
    expect(calls).toEqual(["a\nb\n"]);
    await Bun.sleep(40);
    expect(calls).toHaveLength(1);
  });
});
