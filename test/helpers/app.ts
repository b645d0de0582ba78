import { expect } from "bun:test";
import { type AppDeps, createApp } from "../../src/app";
import { type Config, loadConfig } from "../../src/config";
import { openDatabase } from "../../src/db/database";
import { createRevocationBus } from "../../src/modules/auth/revocation-bus";
import { createMemoryLogger } from "../../src/observability/logger";
import { type Conformance, conformanceFor } from "./conformance";

/** A Config as the test environment would load it; overrides are raw environment variables. */
export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({ NODE_ENV: "test", LOG_FORMAT: "none", ...overrides });
}

export interface BuildTestAppOptions {
  /** Environment variables on top of testConfig's. */
  env?: Record<string, string>;
  /** Replaces any dependency the default test build provides. */
  deps?: Partial<AppDeps>;
}

/**
 * The same app server.ts builds, on test dependencies, driven without a socket. The default
 * database is an unmigrated in-memory SQLite: enough for tests that never reach a repository.
 */
export function buildTestApp(options: BuildTestAppOptions = {}) {
  const logger = options.deps?.logger ?? createMemoryLogger();
  const deps: AppDeps = {
    config: testConfig(options.env),
    logger,
    lifecycle: { shuttingDown: false },
    db: options.deps?.db ?? openDatabase("sqlite://:memory:"),
    bus: options.deps?.bus ?? createRevocationBus({ logger }),
    readiness: {},
    ...options.deps,
  };
  const app = createApp(deps);
  scanResponses(app);
  const request = (path: string, init?: RequestInit) => app.handle(new Request(`http://localhost${path}`, init));
  return { app, deps, request };
}

const generatedRequestId = /^req_\d{10}_[a-z0-9]{6,}$/;
const envelopeKeys = ["error", "message", "method", "path", "requestId", "statusCode", "success", "timestamp"];

export interface ExpectErrorOptions {
  /** The X-Request-Id the client sent, when it should have been kept. */
  requestId?: string;
}

/**
 * Asserts the contract's error envelope in full: exactly its members (`errors` on 422 only), the
 * request id header matching the body, JSON content type. Returns the parsed body.
 */
export async function expectErrorEnvelope(
  response: Response,
  status: number,
  errorName: string,
  options: ExpectErrorOptions = {},
): Promise<Record<string, unknown>> {
  expect(response.status).toBe(status);
  expect(response.headers.get("content-type") ?? "").toStartWith("application/json");
  const body = (await response.json()) as Record<string, unknown>;
  const expectedKeys = status === 422 ? [...envelopeKeys, "errors"].sort() : envelopeKeys;
  expect(Object.keys(body).sort()).toEqual(expectedKeys);
  expect(body.success).toBe(false);
  expect(body.error).toBe(errorName);
  expect(typeof body.message).toBe("string");
  expect((body.message as string).length).toBeGreaterThan(0);
  expect(body.statusCode).toBe(status);
  expect(typeof body.path).toBe("string");
  expect(typeof body.method).toBe("string");

  const timestamp = body.timestamp as string;
  expect(timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
  expect(Math.abs(Date.parse(timestamp) - Date.now())).toBeLessThan(60_000);

  if (options.requestId === undefined) expect(body.requestId).toMatch(generatedRequestId);
  else expect(body.requestId).toBe(options.requestId);
  expect(response.headers.get("x-request-id")).toBe(body.requestId as string);
  if (status === 422) expect(typeof body.errors).toBe("object");
  return body;
}

// argon2 hashes and hex SHA-256 digests (API key hashes) must never leave the server.
const secretShapes = [/\$argon2id?\$/, /(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])/];

/**
 * Every response of every suite that builds its app here is scanned for password or key hashes,
 * and checked against the OpenAPI document the app serves (conformance.ts): an undocumented
 * status, a missing documented header or a body its schema does not allow fails the test.
 */
function scanResponses(app: ReturnType<typeof createApp>) {
  const handle = app.handle.bind(app);
  let conformance: Promise<Conformance> | undefined;
  app.handle = async (request: Request) => {
    const response = await handle(request);
    if (!new URL(request.url).pathname.startsWith("/docs")) {
      conformance ??= documentOf(handle).then(conformanceFor);
      const violation = await (await conformance).check(request, response);
      if (violation) throw new Error(`response breaks the OpenAPI document: ${violation}`);
    }
    if (response.headers.get("content-encoding")) return response;
    const text = await response.clone().text();
    for (const shape of secretShapes) {
      if (shape.test(text)) throw new Error(`response to ${request.method} ${request.url} contains a secret hash`);
    }
    return response;
  };
}

let referenceDocument: Promise<string> | undefined;

/** The app's own /docs/json; an app with the docs switched off is held to a default app's. */
async function documentOf(handle: (request: Request) => Promise<Response>): Promise<string> {
  const response = await handle(new Request("http://localhost/docs/json"));
  if (response.ok) return response.text();
  referenceDocument ??= buildTestApp()
    .request("/docs/json")
    .then((r) => r.text());
  return referenceDocument;
}
