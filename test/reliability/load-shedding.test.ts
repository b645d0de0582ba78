import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { completion, startFakeOpenAi } from "../ai/fake-openai";
import { insertProspect, waitFor } from "../emails/support";
import { createTestDatabase } from "../helpers/database";
import { seedOrganization } from "../helpers/fixtures";
import { parsePrometheusText, sampleValue } from "../observability/prometheus-text";
import { accessLinesOf, loginOver } from "./support/client";
import { expectErrorBody } from "./support/envelope";
import { productionEnv, spawnServer } from "./support/server";

const userAgent = "reliability-load-shedding";
const draftRoute = "/api/v1/ai/draft-email";

/**
 * A server process whose AI drafts wait on a real (fake) chat-completions server that answers only
 * when the test says so: requests that stay in flight for as long as a test needs.
 */
async function startWorld(env: Record<string, string>) {
  const database = await createTestDatabase("sqlite", { file: true });
  const org = await seedOrganization(database.db, "Shedding Co");
  const prospectId = await insertProspect(database.db, org.id, { email: "ada@lovelace.example", firstName: "Ada" });
  const provider = startFakeOpenAi();
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  provider.behave(async () => {
    await held;
    return completion(JSON.stringify({ subject: "Hello", body: "Hi there" }));
  });
  const server = await spawnServer({
    ...productionEnv,
    DATABASE_URL: database.url,
    AI_BASE_URL: provider.baseUrl,
    AI_API_KEY: "sk-test-provider-key",
    RATE_LIMIT_AI_MAX: "100000",
    ...env,
  });
  const token = await loginOver(server.base, org.user.email, org.user.password, userAgent);
  const headers = { authorization: `Bearer ${token}`, "content-type": "application/json", "user-agent": userAgent };
  return {
    database,
    provider,
    server,
    /** Lets every held completion answer, and later ones at once. */
    release: () => release(),
    async draft(): Promise<{ response: Response; ms: number }> {
      const started = performance.now();
      const response = await fetch(`${server.base}${draftRoute}`, {
        method: "POST",
        headers,
        body: JSON.stringify({ prospectId, goal: "Book a demo" }),
      });
      return { response, ms: performance.now() - started };
    },
    async metrics() {
      return parsePrometheusText(
        await (
          await fetch(`${server.base}/metrics`, { headers: { authorization: `Bearer ${productionEnv.METRICS_TOKEN}` } })
        ).text(),
      );
    },
    async dispose() {
      release();
      await server.dispose();
      await provider.stop();
      await database.drop();
    },
  };
}

type World = Awaited<ReturnType<typeof startWorld>>;

describe("three times MAX_IN_FLIGHT slow requests, over a real socket", () => {
  const bound = 8;
  let world: World;
  beforeAll(async () => {
    world = await startWorld({ MAX_IN_FLIGHT: String(bound), REQUEST_TIMEOUT_S: "20" });
  });
  afterAll(() => world.dispose());

  test("answers the excess 503 at once, keeps /health, readiness and /metrics answering, and serves the rest in full", async () => {
    const admitted = Array.from({ length: bound }, () => world.draft());
    await waitFor(() => world.provider.requests.length === bound, 5000, "the first requests to reach the provider");

    const excess = await Promise.all(Array.from({ length: 2 * bound }, () => world.draft()));
    for (const { response, ms } of excess) {
      expect(response.status).toBe(503);
      expect(response.headers.get("retry-after")).toBe("1");
      expectErrorBody(await response.json(), 503);
      // At once: the admitted requests are still waiting on the provider, for as long as the test holds it.
      expect(ms).toBeLessThan(1000);
    }
    const [health, ready] = await Promise.all([
      fetch(`${world.server.base}/health`),
      fetch(`${world.server.base}/health/ready`),
    ]);
    expect(health.status).toBe(200);
    expect(ready.status).toBe(200);
    const during = await world.metrics();
    expect(sampleValue(during, "http_requests_shed_total")).toBe(2 * bound);
    expect(sampleValue(during, "http_requests_in_flight")).toBe(bound);
    expect(world.provider.requests.length).toBe(bound);

    world.release();
    for (const { response } of await Promise.all(admitted)) expect(response.status).toBe(200);
    // The slots are free again.
    expect((await world.draft()).response.status).toBe(200);
  }, 20_000);
});

describe("a request slower than REQUEST_TIMEOUT_S, over a real socket", () => {
  const timeoutS = 2;
  let world: World;
  let answer: { response: Response; ms: number };
  beforeAll(async () => {
    world = await startWorld({ REQUEST_TIMEOUT_S: String(timeoutS) });
    answer = await world.draft();
    // The provider answers after the deadline: that late result must go nowhere.
    world.release();
    await waitFor(() => world.provider.requests.length === 1, 5000, "the draft to reach the provider");
    await Bun.sleep(300);
  }, 20_000);
  afterAll(() => world.dispose());

  test("gets the 503 envelope at the deadline, with Retry-After, its request id and its rate-limit headers", async () => {
    expect(answer.ms).toBeGreaterThanOrEqual(timeoutS * 1000);
    expect(answer.ms).toBeLessThan(timeoutS * 1000 + 1000);
    const { response } = answer;
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("5");
    expect(response.headers.get("x-ratelimit-remaining")).toMatch(/^\d+$/);
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    const body = (await response.json()) as Record<string, unknown>;
    expectErrorBody(body, 503);
    expect(body).toMatchObject({ path: draftRoute, method: "POST" });
    expect(response.headers.get("x-request-id")).toBe(body.requestId as string);
  });

  test("is logged once as a deadline, counted by route, and recorded as the 503 the client saw", async () => {
    const deadlines = world.server
      .stderr()
      .split("\n")
      .filter((line) => line.includes('"msg":"request deadline passed"'));
    expect(deadlines).toHaveLength(1);
    expect(deadlines[0]).toContain(`"route":"${draftRoute}"`);
    expect(world.server.stderr()).not.toContain('"msg":"request failed"');
    const metrics = await world.metrics();
    expect(sampleValue(metrics, "http_request_timeouts_total", { route: draftRoute })).toBe(1);
    expect(sampleValue(metrics, "http_requests_total", { route: draftRoute, status: "503" })).toBe(1);
    expect(sampleValue(metrics, "http_requests_total", { route: draftRoute, status: "200" })).toBeUndefined();
    const lines = accessLinesOf(world.server.stdout(), userAgent).filter((line) => line.includes(draftRoute));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`"POST ${draftRoute} HTTP/1.1" 503 `);
  });

  test("leaves the server serving: the next draft is answered in full", async () => {
    expect(sampleValue(await world.metrics(), "http_requests_in_flight")).toBe(0);
    expect((await world.draft()).response.status).toBe(200);
  });
});
