import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { buildTestApp } from "../helpers/app";
import { type ServedApp, serveSeededApp } from "../helpers/served-app";
import { loginUntilRefused, runEdenFlows } from "./eden/flows";

/**
 * Eden Treaty typed from `type App`: `npm run typecheck` compiles eden/flows.ts under strict tsc
 * (its type checks pin the error envelope per status); here the same client runs against a server.
 */
describe("an Eden Treaty client", () => {
  let served: ServedApp;
  const unique = `zq${Bun.randomUUIDv7().replaceAll("-", "").slice(-10)}`;

  beforeAll(async () => {
    served = await serveSeededApp();
  });
  afterAll(() => served?.close());

  const envelope = (status: number, error: string, path: string, method: string) => ({
    success: false as const,
    error,
    message: expect.any(String),
    statusCode: status,
    timestamp: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
    path,
    method,
    requestId: expect.stringMatching(/^req_\d{10}_[a-z0-9]{6,}$/),
  });

  test("runs the seed's flows against the server, and each refusal arrives as the typed envelope", async () => {
    const results = await runEdenFlows(served.base, served.org.user, unique);

    expect(results.login.status).toBe(200);
    expect(results.login.accessToken).toMatch(/^eyJ[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(results.me).toEqual({ status: 200, email: served.org.user.email });
    expect(results.list).toEqual({ status: 200, count: 10, limit: 10 });
    expect(results.create).toEqual({ status: 201, id: expect.any(String) });
    expect(results.replay).toEqual({ status: 201, id: results.create.id });
    expect(results.get).toEqual({ status: 200, id: results.create.id });
    expect(results.update).toEqual({ status: 200, score: 64 });
    expect(results.search).toEqual({ status: 200, ids: [results.create.id] });

    expect(results.unauthorized).toEqual({ status: 401, body: envelope(401, "Unauthorized", "/api/v1/me", "GET") });
    expect(results.notFound).toEqual({
      status: 404,
      body: envelope(404, "NotFound", "/api/v1/prospects/00000000-no-such-prospect", "GET"),
    });
    expect(results.invalid).toEqual({
      status: 422,
      body: {
        ...envelope(422, "ValidationError", "/api/v1/prospects", "POST"),
        errors: { email: [expect.any(String)] },
      },
    });
  });

  test("a login over the limit arrives as the typed 429 envelope, with Retry-After", async () => {
    // A server of its own, so the other test's login does not count: 5 per 15 minutes.
    const fresh = await serveSeededApp();
    const seen = await loginUntilRefused(fresh.base, fresh.org.viewer.email, 6).finally(() => fresh.close());
    expect(seen.map((attempt) => attempt.status)).toEqual([401, 401, 401, 401, 401, 429]);
    const refused = seen[5];
    expect(refused?.body).toEqual(envelope(429, "TooManyRequests", "/api/v1/auth/login", "POST"));
    expect(Number(refused?.retryAfter)).toBeGreaterThan(14 * 60);
  });
});

interface RouteSchemas {
  method: string;
  path: string;
  hooks: {
    response?: Record<string, { $id?: string }>;
    standaloneValidator?: { response?: Record<string, { $id?: string }> }[];
  };
}

/** The 413 and 415 of the JSON body reader, which runs before the route (and Eden's types) are known. */
const bodyReaderStatuses = ["413", "415"];

describe("the error statuses Eden's types name", () => {
  test("are, for every /api/v1 operation, the ones the document lists, each the error envelope", async () => {
    const { app, request } = buildTestApp();
    const doc = (await (await request("/docs/json")).json()) as {
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    };
    const routes = (app as unknown as { getGlobalRoutes(): RouteSchemas[] }).getGlobalRoutes();
    const api = routes.filter((route) => route.path.startsWith("/api/v1/"));
    expect(api.length).toBeGreaterThan(20);
    for (const route of api) {
      const operation = doc.paths[route.path.replace(/:([^/]+)/g, "{$1}")]?.[route.method.toLowerCase()];
      const documented = Object.keys(operation?.responses ?? {})
        .filter((status) => Number(status) >= 400 && !bodyReaderStatuses.includes(status))
        .sort();
      // The route's own map (with the guards' scoped guard merged in) and the auth option's.
      const schemas = [
        route.hooks.response ?? {},
        ...(route.hooks.standaloneValidator ?? []).map((v) => v.response ?? {}),
      ];
      const declared = Object.fromEntries(
        schemas.flatMap((map) => Object.entries(map)).filter(([status]) => Number(status) >= 400),
      );
      expect({ route: `${route.method} ${route.path}`, statuses: Object.keys(declared).sort() }).toEqual({
        route: `${route.method} ${route.path}`,
        statuses: documented,
      });
      for (const schema of Object.values(declared)) expect(schema.$id).toBe("ErrorEnvelope");
    }
  });
});
