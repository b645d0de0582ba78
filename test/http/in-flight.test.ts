import { describe, expect, test } from "bun:test";
import { buildTestApp, expectErrorEnvelope } from "../helpers/app";

/** An app with a route that answers after `:ms` milliseconds, on top of the real pipeline. */
function appWithSlowRoute(env: Record<string, string>) {
  const built = buildTestApp({ env });
  built.app.get("/api/v1/test/sleep/:ms", async ({ params }) => {
    await Bun.sleep(Number(params.ms));
    return { success: true, data: { slept: Number(params.ms) } };
  });
  const timed = async (path: string) => {
    const started = performance.now();
    const response = await built.request(path);
    return { response, ms: performance.now() - started };
  };
  return { ...built, timed };
}

describe("request deadline", () => {
  test("answers 503 only the requests still running at REQUEST_TIMEOUT_S, whatever their order of arrival", async () => {
    const { timed } = appWithSlowRoute({ REQUEST_TIMEOUT_S: "1" });
    const results = await Promise.all([3000, 50, 2500, 100].map((ms) => timed(`/api/v1/test/sleep/${ms}`)));
    expect(results.map((r) => r.response.status)).toEqual([503, 200, 503, 200]);
    for (const slow of [results[0], results[2]]) {
      expect(slow?.ms).toBeGreaterThanOrEqual(1000);
      expect(slow?.ms).toBeLessThan(1400);
      const body = await expectErrorEnvelope(slow?.response as Response, 503, "ServiceUnavailable");
      expect(body.message).toBe("The request took too long, please retry");
      expect(slow?.response.headers.get("retry-after")).toBe("5");
    }
    expect(await results[1]?.response.json()).toEqual({ success: true, data: { slept: 50 } });
  });
});

describe("in-flight bound", () => {
  test("answers /api/v1 503 at once past MAX_IN_FLIGHT running requests, never /health, and admits again once they end", async () => {
    const { timed, request } = appWithSlowRoute({ MAX_IN_FLIGHT: "2" });
    const running = [timed("/api/v1/test/sleep/300"), timed("/api/v1/test/sleep/300")];
    const shed = await timed("/api/v1/test/sleep/0");
    await expectErrorEnvelope(shed.response, 503, "ServiceUnavailable");
    expect(shed.response.headers.get("retry-after")).toBe("1");
    expect(shed.ms).toBeLessThan(100);
    expect((await request("/health")).status).toBe(200);

    expect((await Promise.all(running)).map((r) => r.response.status)).toEqual([200, 200]);
    expect((await timed("/api/v1/test/sleep/0")).response.status).toBe(200);
  });
});
