import { beforeAll, describe, expect, test } from "bun:test";
import { serverErrors } from "./support/load";
import { runShutdownScenario, type ShutdownScenarioResult } from "./support/shutdown-scenario";

const delayMs = 1000;
const timeoutMs = 5000;
const slackMs = 1500;

describe("SIGTERM while a client sends a steady 500 requests a second", () => {
  let result: ShutdownScenarioResult;

  beforeAll(async () => {
    result = await runShutdownScenario({ rate: 500, warmupMs: 1500, delayMs, timeoutMs });
  }, 20_000);

  test("every response that arrived is a success: no 5xx, no reset connection, no hang", () => {
    expect(result.load.responses).toBeGreaterThan(1000);
    expect(serverErrors(result.load)).toBe(0);
    expect(result.load.statuses).toEqual({ 200: result.load.responses });
    expect(result.load.errors).toMatchObject({ reset: 0, timeout: 0, other: 0 });
  });

  test("keeps answering through SHUTDOWN_DELAY_MS; only then are connections refused, and those are counted apart", () => {
    expect(result.lastResponseAfterSignal).toBeGreaterThanOrEqual(delayMs - 50);
    expect(result.load.errors.refused).toBeGreaterThan(0);
    expect(result.firstRefusalAfterSignal).toBeGreaterThanOrEqual(delayMs - 50);
    expect(result.load.responses + result.load.errors.refused).toBe(result.load.sent);
  });

  test("answers the requests whose bodies were still arriving when the listener closed", () => {
    expect(result.stragglers).toEqual([{ status: 401 }, { status: 401 }, { status: 401 }, { status: 401 }]);
  });

  test("exits 0 within SHUTDOWN_DELAY_MS + SHUTDOWN_TIMEOUT_MS", () => {
    expect(result.exitCode).toBe(0);
    expect(result.exitMs).toBeLessThan(delayMs + timeoutMs + slackMs);
    expect(result.stderr).toContain('"msg":"shutdown complete"');
  });

  test("writes one api_usage row for every /api/v1 response the client received, before exiting", () => {
    expect(result.usageRows).toBe(result.apiResponses);
  });

  test("writes one access log line for every response the client received, before exiting", () => {
    expect(result.accessLogLines).toBe(result.load.responses + 1 + result.stragglers.length);
  });
});
