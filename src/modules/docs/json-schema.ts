/**
 * TypeBox schemas → the JSON Schema 2020-12 of an OpenAPI 3.1 document: plain JSON (no symbols),
 * without TypeBox's `error` option (our validation messages; not a JSON Schema keyword), unions
 * of literals as `enum`, and every schema with an `$id` moved to `components.schemas` and
 * referenced, so the envelope and the list meta are described once.
 */

export type JsonSchema = Record<string, unknown>;

const nonStandard = new Set(["error"]);
const schemaMaps = new Set(["properties", "patternProperties", "$defs", "dependentSchemas"]);
const schemaLists = new Set(["allOf", "anyOf", "oneOf", "prefixItems"]);
const schemaValues = new Set([
  "items",
  "additionalProperties",
  "unevaluatedProperties",
  "contains",
  "not",
  "if",
  "then",
  "else",
  "propertyNames",
]);

export interface SchemaRegistry {
  /** The `$id`-named schemas met so far, keyed by name, for `components.schemas`. */
  named: Record<string, JsonSchema>;
}

export function createSchemaRegistry(): SchemaRegistry {
  return { named: {} };
}

/** The document form of `schema`; named parts become `$ref`s recorded in `registry`. */
export function toDocumentSchema(schema: unknown, registry: SchemaRegistry): JsonSchema {
  const json = JSON.parse(JSON.stringify(schema)) as JsonSchema;
  return convert(json, registry);
}

function convert(schema: JsonSchema, registry: SchemaRegistry): JsonSchema {
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (nonStandard.has(key) || key === "$id") continue;
    if (schemaMaps.has(key) && isObject(value)) {
      out[key] = Object.fromEntries(
        Object.entries(value).map(([name, child]) => [name, isObject(child) ? convert(child, registry) : child]),
      );
    } else if (schemaLists.has(key) && Array.isArray(value)) {
      out[key] = value.map((child) => (isObject(child) ? convert(child, registry) : child));
    } else if (schemaValues.has(key) && isObject(value)) {
      out[key] = convert(value, registry);
    } else {
      out[key] = value;
    }
  }
  const result = literalUnion(out) ?? coercedNumber(out) ?? out;
  const id = schema.$id;
  if (typeof id !== "string") return result;
  registry.named[id] ??= result;
  return { $ref: `#/components/schemas/${id}` };
}

/** `anyOf: [{const: "a"}, {const: "b"}]` → `{ type: "string", enum: ["a", "b"] }`. */
function literalUnion(schema: JsonSchema): JsonSchema | undefined {
  const members = schema.anyOf;
  if (!Array.isArray(members) || members.length === 0) return undefined;
  if (
    !members.every((m) => isObject(m) && "const" in m && Object.keys(m).every((k) => k === "const" || k === "type"))
  ) {
    return undefined;
  }
  const values = members.map((m) => (m as JsonSchema).const);
  const types = new Set(values.map((v) => typeof v));
  if (types.size !== 1) return undefined;
  const { anyOf: _members, ...rest } = schema;
  return { type: [...types][0], ...rest, enum: values };
}

/**
 * Elysia widens a query or path `t.Integer`/`t.Number` to "a numeric string, or the number" to
 * convert it; on the wire it is the number, so the document says the number.
 */
function coercedNumber(schema: JsonSchema): JsonSchema | undefined {
  const members = schema.anyOf;
  if (!Array.isArray(members) || members.length !== 2) return undefined;
  const text = members.find(
    (m) => isObject(m) && m.type === "string" && (m.format === "integer" || m.format === "numeric"),
  );
  const number = members.find((m) => isObject(m) && (m.type === "integer" || m.type === "number"));
  if (!text || !number) return undefined;
  const { anyOf: _members, ...rest } = schema;
  return { ...rest, ...(number as JsonSchema) };
}

function isObject(value: unknown): value is JsonSchema {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
