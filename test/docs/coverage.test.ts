import { describe, expect, test } from "bun:test";
import { createMetrics } from "../../src/observability/metrics";
import { buildTestApp } from "../helpers/app";
import { routeRequests } from "../reliability/support/route-requests";
import { minimumRole } from "../reliability/support/route-roles";

type Json = Record<string, unknown>;
interface Operation {
  parameters?: Array<{ name: string; in: string; required?: boolean; schema?: Json }>;
  requestBody?: { content?: Record<string, { schema?: Json }> };
  responses: Record<string, Json>;
  security?: unknown[];
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: { responses: Record<string, Json> };
}

const { app, request } = buildTestApp({ deps: { metrics: createMetrics() } });
const document = (await (await request("/docs/json")).json()) as Document;
const bodyMethods = new Set(["POST", "PUT", "PATCH", "DELETE"]);
/** Every route of the API: the app's own list, without the docs routes (hidden by design). */
const routes = app.routes.filter((route) => !route.path.startsWith("/docs"));

const templateOf = (path: string) => path.replace(/:([^/]+)/g, "{$1}");
const resolve = (response: Json): Json =>
  typeof response.$ref === "string"
    ? (document.components.responses[response.$ref.split("/").pop() as string] as Json)
    : response;
const typed = (schema: Json | undefined) =>
  schema !== undefined && (typeof schema.type === "string" || Array.isArray(schema.enum)) && !("anyOf" in schema);

/**
 * The statuses the authorization matrix and the hostile-input suites observe on a route: its
 * success, 401 when secured and 403 when some role is below the route's, 422 for bad input, 404 for an :id, 400/413/415 for bodies (and
 * 400 for bytes a database refuses), and 429/503 under /api/v1 (limits, load shedding, outages).
 */
function observedStatuses(method: string, path: string, operation: Operation): number[] {
  const statuses = new Set<number>([routeRequests[`${method} ${path}`]?.status ?? 200]);
  const secured = JSON.stringify(operation.security ?? []).includes("bearer");
  if (secured) statuses.add(401);
  if (belowRolePossible(method, path)) statuses.add(403);
  const validated = (operation.parameters ?? []).filter((p) => p.name !== "If-None-Match");
  if (validated.length > 0 || operation.requestBody) statuses.add(422);
  if (path.includes("/:")) statuses.add(404);
  if (bodyMethods.has(method)) for (const status of [400, 413, 415]) statuses.add(status);
  if (path.startsWith("/api/v1/")) for (const status of [400, 429, 503]) statuses.add(status);
  return [...statuses];
}

/** A caller can be below the route's role: it needs more than a viewer (every caller is one). */
const belowRolePossible = (method: string, path: string) => {
  const minimum = minimumRole[`${method} ${path}`];
  return minimum === "user" || minimum === "admin";
};

describe("every operation of the served document is complete", () => {
  test("the document has one operation per route of the app: 25", () => {
    const operations = Object.values(document.paths).flatMap((item) => Object.keys(item));
    expect(operations.length).toBe(routes.length);
    expect(routes.length).toBe(25);
  });

  test("0 undocumented: typed parameters, a JSON request schema where it takes a body, a JSON-schema'd response per observed status", () => {
    const problems: string[] = [];
    for (const route of routes) {
      const where = `${route.method} ${route.path}`;
      const operation = document.paths[templateOf(route.path)]?.[route.method.toLowerCase()];
      if (!operation) {
        problems.push(`${where}: not in the document`);
        continue;
      }
      for (const parameter of operation.parameters ?? []) {
        if (!typed(parameter.schema)) problems.push(`${where}: parameter ${parameter.name} is untyped`);
        if (parameter.in === "path" && parameter.required !== true)
          problems.push(`${where}: ${parameter.name} optional`);
      }
      const takesBody = (route.hooks as { body?: unknown } | undefined)?.body !== undefined;
      if (takesBody && operation.requestBody?.content?.["application/json"]?.schema?.type !== "object") {
        problems.push(`${where}: no JSON request schema`);
      }
      for (const status of observedStatuses(route.method, route.path, operation)) {
        const documented = operation.responses[String(status)];
        const content = documented && (resolve(documented).content as Record<string, { schema?: Json }> | undefined);
        const schema = content?.["application/json"]?.schema ?? content?.["text/plain"]?.schema;
        if (!schema) problems.push(`${where}: ${status} ${documented ? "has no schema" : "undocumented"}`);
      }
    }
    expect(problems).toEqual([]);
  });

  test("every success body is the envelope with typed data, and lists carry the meta", () => {
    const lists = ["/api/v1/users", "/api/v1/api-keys", "/api/v1/emails", "/api/v1/prospects", "/api/v1/search"];
    for (const path of lists) {
      const schema = (resolve(document.paths[path]?.get?.responses["200"] as Json).content as Json)[
        "application/json"
      ] as { schema: { properties: Record<string, Json>; required: string[] } };
      expect(schema.schema.required).toEqual(["success", "data", "meta"]);
      expect(schema.schema.properties.meta).toEqual({ $ref: "#/components/schemas/ListMeta" });
      expect(schema.schema.properties.data?.type).toBe("array");
    }
    const login = document.paths["/api/v1/auth/login"]?.post?.responses["200"] as {
      content: Record<string, { schema: { properties: { data: { properties: Json } } } }>;
    };
    expect(Object.keys(login.content["application/json"]?.schema.properties.data.properties ?? {})).toEqual([
      "accessToken",
      "refreshToken",
      "user",
    ]);
  });
});

test("403 is documented exactly on the operations some signed-in caller's role is below", () => {
  const wrong: string[] = [];
  for (const route of routes.filter((r) => r.path.startsWith("/api/v1/"))) {
    const operation = document.paths[templateOf(route.path)]?.[route.method.toLowerCase()];
    const documented = operation?.responses["403"] !== undefined;
    if (documented !== belowRolePossible(route.method, route.path)) {
      wrong.push(`${route.method} ${route.path}: 403 ${documented ? "documented" : "missing"}`);
    }
  }
  expect(wrong).toEqual([]);
  // The viewers' own routes: nothing a signed-in caller sends can be refused for its role there.
  expect(document.paths["/api/v1/me"]?.get?.responses["403"]).toBeUndefined();
  expect(document.paths["/api/v1/prospects"]?.post?.responses["403"]).toBeDefined();
});
