import { toOpenAPISchema } from "@elysiajs/openapi";
import type { AnyElysia } from "elysia";
import type { Config } from "../../config";
import { errorEnvelopeSchema } from "../../http/schemas";
import { roles } from "../auth/principal";
import { commonHeaders, documentation, errorResponseRef, rateLimitHeaders } from "./document";
import { createSchemaRegistry, type JsonSchema, type SchemaRegistry, toDocumentSchema } from "./json-schema";

/** The parts of an Elysia route the document is made of. */
interface Route {
  method: string;
  path: string;
  hooks?: {
    body?: unknown;
    query?: unknown;
    params?: unknown;
    headers?: unknown;
    response?: unknown;
    detail?: { hide?: boolean; security?: unknown[]; "x-minimum-role"?: string };
  };
}

type Operation = Record<string, unknown> & { parameters?: Array<{ name: string; in: string; schema?: unknown }> };
type Paths = Record<string, Record<string, Operation>>;

/** TypeBox's mark of `t.Optional` (its OptionalKind; typebox is elysia's dependency, not ours). */
const optionalKind = Symbol.for("TypeBox.Optional");
const bodyMethods = new Set(["post", "put", "patch", "delete"]);
const excluded = { paths: [/^\/docs(\/|$)/] };
const plainDescriptions: Record<number, string> = {
  200: "OK",
  201: "Created",
  202: "Accepted",
  204: "No content",
  503: "Not ready: a dependency is unhealthy or the server is shutting down",
};

/**
 * The OpenAPI 3.1 document of every route of the app `plugin` is part of. The plugin's generator
 * gives paths, parameters, tags, summaries and security; the rest comes from the same TypeBox
 * schemas that validate: request bodies as JSON, the declared responses, and the error
 * responses every route can give by what it is (secured, takes a body, has an :id, under /api/v1).
 */
export function buildDocument(plugin: AnyElysia, config: Config) {
  const { paths } = toOpenAPISchema(plugin, excluded, undefined, undefined, "3.1.1") as unknown as { paths: Paths };
  const registry = createSchemaRegistry();
  // The envelope every error response refers to, whether or not a route names it.
  toDocumentSchema(errorEnvelopeSchema, registry);
  const routes = (plugin as unknown as { getGlobalRoutes(): Route[] }).getGlobalRoutes();
  for (const route of routes) {
    const method = route.method.toLowerCase();
    const operation = paths[route.path.replace(/:([^/]+)/g, "{$1}")]?.[method];
    if (operation) completeOperation(operation, route, method, registry);
  }
  const parts = documentation(config);
  return {
    openapi: "3.1.1",
    ...parts,
    paths,
    components: { ...parts.components, schemas: registry.named },
  };
}

function completeOperation(operation: Operation, route: Route, method: string, registry: SchemaRegistry) {
  const hooks = route.hooks ?? {};
  const api = route.path.startsWith("/api/v1/");
  // The auth guard's schemes (not /metrics' own token): 401 without credentials, 403 below the
  // route's role, which no signed-in caller is where the route takes the lowest (every one has it).
  const secured = (hooks.detail?.security ?? []).some((r) => "bearer" in (r as object) || "apiKey" in (r as object));
  const belowRolePossible = secured && hooks.detail?.["x-minimum-role"] !== roles[0];
  operation.operationId = operationIdOf(method, route.path);
  // A public operation says so, or the document-level default would be read as "unspecified".
  operation.security ??= [];

  const parameters = (operation.parameters ?? []).map((parameter) => ({
    ...parameter,
    // Elysia's header schemas are lower case; the document spells them as clients write them.
    name: parameter.in === "header" ? headerCase(parameter.name) : parameter.name,
    schema: toDocumentSchema(parameter.schema, registry),
  }));
  if (api && method === "get") {
    parameters.push({
      name: "If-None-Match",
      in: "header",
      required: false,
      description: "An ETag of an earlier 200: the answer is 304 while the body is unchanged",
      schema: { type: "string" },
    } as (typeof parameters)[number]);
  }
  if (parameters.length > 0) operation.parameters = parameters;

  if (hooks.body !== undefined && bodyMethods.has(method)) {
    const schema = toDocumentSchema(hooks.body, registry);
    const example = (hooks.body as { examples?: unknown[] }).examples?.[0];
    operation.requestBody = {
      required: !(optionalKind in (hooks.body as object)),
      content: { "application/json": example === undefined ? { schema } : { schema, example } },
    };
  }

  const successHeaders: Record<string, unknown> = { ...commonHeaders, ...(api ? rateLimitHeaders : {}) };
  const responses: Record<string, unknown> = {};
  for (const [status, schema] of Object.entries(declaredResponses(hooks.response))) {
    const code = Number(status);
    if ((schema as { $id?: string }).$id === "ErrorEnvelope") {
      responses[status] = errorResponseRef(code);
      continue;
    }
    const headers = { ...successHeaders, ...(code === 200 && api && method === "get" ? { ETag: etagHeader } : {}) };
    responses[status] = {
      description: plainDescriptions[code] ?? (schema as { description?: string }).description ?? `Status ${code}`,
      headers,
      content: contentOf(schema, registry),
    };
  }
  if (api && method === "get")
    responses["304"] = { description: "Not modified (If-None-Match)", headers: successHeaders };
  for (const status of implicitErrors(route, method, api, secured, belowRolePossible))
    responses[status] ??= errorResponseRef(status);
  operation.responses = Object.fromEntries(Object.entries(responses).sort(([a], [b]) => Number(a) - Number(b)));
}

const etagHeader = {
  description: "Weak validator of the body, for If-None-Match",
  schema: { type: "string" },
};

/** GET /api/v1/api-keys/:id → getApiKeysById; POST /api/v1/auth/login → postAuthLogin. */
function operationIdOf(method: string, path: string): string {
  const words = path
    .replace(/^\/api\/v1(?=\/)/, "")
    .split(/[/-]/)
    .filter(Boolean)
    .map((word) => (word.startsWith(":") ? `By${capitalize(word.slice(1))}` : capitalize(word)));
  return method + words.join("");
}

function capitalize(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

/** "idempotency-key" → "Idempotency-Key" */
function headerCase(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_, dash: string, letter: string) => dash + letter.toUpperCase());
}

/** A route's `response` option: one schema (the 200) or one per status. */
function declaredResponses(response: unknown): Record<string, unknown> {
  if (response === undefined || response === null) return {};
  const single = typeof response === "object" && ("type" in response || "$ref" in response || "anyOf" in response);
  return single ? { 200: response } : (response as Record<string, unknown>);
}

function contentOf(schema: unknown, registry: SchemaRegistry) {
  const json: JsonSchema = toDocumentSchema(schema, registry);
  return json.type === "string" ? { "text/plain": { schema: json } } : { "application/json": { schema: json } };
}

/** The errors a route can give by its shape, whatever its handler does. */
function implicitErrors(
  route: Route,
  method: string,
  api: boolean,
  secured: boolean,
  belowRolePossible: boolean,
): number[] {
  const hooks = route.hooks ?? {};
  // 400: a malformed or repeated Host is refused on every route.
  const statuses = new Set([400]);
  if (api) for (const status of [429, 500, 503]) statuses.add(status);
  if (secured) statuses.add(401);
  if (belowRolePossible) statuses.add(403);
  if (route.path.includes("/:")) statuses.add(404);
  if (hooks.query || hooks.params || hooks.headers || hooks.body) statuses.add(422);
  // Any body on these methods goes through the JSON reader: too large, not JSON.
  if (bodyMethods.has(method)) {
    statuses.add(413);
    statuses.add(415);
  }
  return [...statuses];
}
