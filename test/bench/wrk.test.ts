import { afterAll, describe, expect, test } from "bun:test";
import { runWrk } from "../../bench/wrk";

const wrk = Bun.which("wrk");
const seen: string[] = [];
const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  async fetch(request) {
    if (request.method === "POST") seen.push(await request.text());
    return new Response("{}", { status: new URL(request.url).pathname === "/fail" ? 500 : 200 });
  },
});
afterAll(() => server.stop(true));
const url = `http://127.0.0.1:${server.port}`;
const spec = { title: "t", url, connections: 4, durationSeconds: 1, warmupSeconds: 0, uniqueTag: "run1" };

describe.skipIf(!wrk)("wrk as the load generator", () => {
  test("counts what the server answered, and every error status as non-2xx", async () => {
    const ok = await runWrk(wrk!, undefined, { ...spec, requests: [{ method: "GET", path: "/ok" }] });
    expect(ok.total).toBeGreaterThan(100);
    expect(ok.non2xx).toBe(0);
    expect(ok.latencyP99Ms).toBeGreaterThan(0);
    expect(ok.generatorCpuPercent).toBeGreaterThan(0);
    const failing = await runWrk(wrk!, undefined, { ...spec, requests: [{ method: "GET", path: "/fail" }] });
    expect(failing.non2xx).toBe(failing.total);
  });

  test("sends every {n} body with a value no other request had", async () => {
    seen.length = 0;
    const body = JSON.stringify({ email: "bench-{n}@load.example.com" });
    // A warm-up first: its own wrk process, whose numbering must not repeat the measured run's.
    const result = await runWrk(wrk!, undefined, {
      ...spec,
      warmupSeconds: 1,
      requests: [{ method: "POST", path: "/p", body }],
    });
    expect(seen.length).toBeGreaterThan(result.total);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen[0]).toMatch(/^\{"email":"bench-run1-warm-up-\d+@load\.example\.com"\}$/);
    expect(seen.at(-1)).toMatch(/^\{"email":"bench-run1-run-\d+@load\.example\.com"\}$/);
  });
});
