import Ajv2020, { type ValidateFunction } from "ajv/dist/2020";
import addFormats from "ajv-formats";

/**
 * Checks a response against the OpenAPI document the same app serves at /docs/json: its status
 * is documented for the operation, its documented required headers are present, and a JSON body
 * validates (Ajv, JSON Schema 2020-12, as OpenAPI 3.1 says). test/helpers/app.ts runs it on
 * every response of every app built there, so an undocumented status or a drifted schema fails
 * the test that met it.
 */

type Json = Record<string, unknown>;
interface ResponseDoc {
  headers?: Record<string, Json>;
  content?: Record<string, { schema?: Json }>;
}
interface Operation {
  responses: Record<string, ResponseDoc | { $ref: string }>;
}
export interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
  components: { responses?: Record<string, ResponseDoc>; headers?: Record<string, Json> };
}

interface Route {
  pattern: RegExp;
  template: string;
  methods: Record<string, Operation>;
}

export interface Conformance {
  /** Undefined when the response is what the document says; otherwise what differs. */
  check(request: Request, response: Response): Promise<string | undefined>;
}

const compiled = new Map<string, Conformance>();

/** One checker per distinct document text (apps built alike share it). */
export function conformanceFor(documentText: string): Conformance {
  let conformance = compiled.get(documentText);
  if (!conformance) {
    conformance = createConformance(JSON.parse(documentText) as OpenApiDocument);
    compiled.set(documentText, conformance);
  }
  return conformance;
}

export function createConformance(document: OpenApiDocument): Conformance {
  // strict: false because the root is an OpenAPI document, not a schema (openapi, info, paths…).
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema(document as unknown as Json, "openapi");
  const validators = new Map<string, ValidateFunction>();
  const validatorAt = (pointer: string) => {
    let validate = validators.get(pointer);
    if (!validate) {
      validate = ajv.compile({ $ref: `openapi#${pointer}` });
      validators.set(pointer, validate);
    }
    return validate;
  };
  const routes: Route[] = Object.entries(document.paths).map(([template, methods]) => ({
    template,
    methods,
    pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, "[^/]+")}$`),
  }));

  return {
    async check(request, response) {
      const method = request.method.toLowerCase();
      const path = new URL(request.url).pathname;
      const route = routes.find((r) => r.pattern.test(path));
      // No operation: an unknown path (404) or method (405), a preflight, a HEAD.
      const operation = route?.methods[method];
      if (!route || !operation) return undefined;
      // A route a test added for itself declares no success response; every route of the API
      // does (test/docs/coverage.test.ts), so this skips fixtures only.
      if (!Object.keys(operation.responses).some((status) => status.startsWith("2"))) return undefined;
      const where = `${request.method} ${route.template} → ${response.status}`;
      const status = String(response.status);
      const documented = operation.responses[status] ?? operation.responses.default;
      if (!documented) return `${where}: status not documented (has ${Object.keys(operation.responses).join(", ")})`;
      const pointerBase =
        "$ref" in documented
          ? documented.$ref.slice(1)
          : `/paths/${escapePointer(route.template)}/${method}/responses/${operation.responses[status] ? status : "default"}`;
      const doc = ("$ref" in documented ? resolve(document, documented.$ref) : documented) as ResponseDoc;

      for (const [name, header] of Object.entries(doc.headers ?? {})) {
        const resolved = ("$ref" in header ? resolve(document, header.$ref as string) : header) as Json;
        if (resolved.required === true && !response.headers.has(name)) return `${where}: header ${name} missing`;
      }

      const type = response.headers.get("content-type") ?? "";
      if (response.status === 304 || response.headers.get("content-encoding")) return undefined;
      const text = await response.clone().text();
      if (text.length === 0 && !doc.content) return undefined;
      if (!type.startsWith("application/json")) {
        const media = type.split(";")[0]?.trim() ?? "";
        return doc.content?.[media] ? undefined : `${where}: content type ${type || "(none)"} not documented`;
      }
      if (!doc.content?.["application/json"]?.schema) return `${where}: a JSON body is not documented`;
      const validate = validatorAt(`${pointerBase}/content/${escapePointer("application/json")}/schema`);
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        return `${where}: body is not JSON`;
      }
      if (validate(body)) return undefined;
      const errors = (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message}`).join("; ");
      return `${where}: body does not match the document: ${errors}`;
    },
  };
}

/** A JSON pointer segment as a URI fragment holds it ({id} must be percent-encoded). */
function escapePointer(segment: string): string {
  return encodeURIComponent(segment.replaceAll("~", "~0").replaceAll("/", "~1"));
}

function resolve(document: OpenApiDocument, ref: string): unknown {
  let node: unknown = document;
  for (const part of ref.replace(/^#\//, "").split("/")) {
    node = (node as Json)[decodeURIComponent(part).replaceAll("~1", "/").replaceAll("~0", "~")];
  }
  return node;
}
