import type { FieldErrors } from "./errors";

/** The parts of a TypeBox ValueError this module reads. */
interface SchemaError {
  path: string;
  message: string;
  value: unknown;
  schema: Schema;
}

interface Schema {
  type?: string;
  /** Names the field of an error Elysia reports without a path (a converted query value). */
  title?: string;
  format?: string;
  error?: unknown;
  const?: unknown;
  anyOf?: Schema[];
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
}

/**
 * TypeBox errors → `{ "field.path": ["message a person understands"] }`, in the seed's words
 * ("Invalid email format", "Password must be at least 8 characters").
 */
export function fieldErrors(errors: readonly SchemaError[], fallbackField = "body"): FieldErrors {
  const out: FieldErrors = {};
  for (const error of errors) {
    const field = error.path.replace(/^\//, "").replaceAll("/", ".") || error.schema.title || fallbackField;
    const message = describe(error.schema, error.value, labelOf(field), error.message);
    const list = out[field] ?? [];
    if (!list.includes(message)) list.push(message);
    out[field] = list;
  }
  return out;
}

function describe(schema: Schema, value: unknown, label: string, fallback: string): string {
  if (typeof schema.error === "string") return schema.error;
  if (value === undefined) return `${label} is required`;
  if (schema.anyOf) {
    const literals = schema.anyOf.filter((s) => "const" in s).map((s) => String(s.const));
    if (literals.length === schema.anyOf.length) return `${label} must be one of: ${literals.join(", ")}`;
    // Elysia widens t.Number/t.Integer to "numeric string or number"; describe the number branch.
    const numeric = schema.anyOf.find((s) => s.type === "number" || s.type === "integer");
    if (numeric) return describe({ ...schema, ...numeric, anyOf: undefined }, value, label, fallback);
    const nullable = schema.anyOf.find((s) => s.type !== "null");
    if (nullable && schema.anyOf.length === 2) return describe(nullable, value, label, fallback);
  }
  switch (schema.type) {
    case "string":
      return describeString(schema, value, label) ?? fallback;
    case "number":
    case "integer":
      return describeNumber(schema, value, label) ?? fallback;
    case "boolean":
      return `${label} must be true or false`;
    case "array":
      if (!Array.isArray(value)) return `${label} must be a list`;
      if (schema.maxItems !== undefined && value.length > schema.maxItems) {
        return `${label} must have at most ${schema.maxItems} items`;
      }
      if (schema.minItems !== undefined && value.length < schema.minItems) {
        return `${label} must have at least ${schema.minItems} items`;
      }
      return fallback;
    case "object":
      return `${label} must be an object`;
    default:
      return fallback;
  }
}

function describeString(schema: Schema, value: unknown, label: string): string | undefined {
  if (typeof value !== "string") return `${label} must be a string`;
  if (schema.minLength !== undefined && value.length < schema.minLength) {
    return schema.minLength === 1
      ? `${label} must not be empty`
      : `${label} must be at least ${schema.minLength} characters`;
  }
  if (schema.maxLength !== undefined && value.length > schema.maxLength) {
    return `${label} must be at most ${schema.maxLength} characters`;
  }
  if (schema.format === "email") return "Invalid email format";
  if (schema.format === "uri") return `${label} must be a valid URL`;
  if (schema.format === "date-time") return `${label} must be an ISO 8601 date-time`;
  if (schema.format === "uuid") return `${label} must be a valid id`;
  if (schema.pattern !== undefined || schema.format !== undefined) return `${label} has an invalid format`;
  return undefined;
}

function describeNumber(schema: Schema, value: unknown, label: string): string | undefined {
  const numeric = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  if (typeof numeric !== "number" || Number.isNaN(numeric)) return `${label} must be a number`;
  if (schema.type === "integer" && !Number.isInteger(numeric)) return `${label} must be a whole number`;
  const { minimum, maximum } = schema;
  if (minimum !== undefined && maximum !== undefined && (numeric < minimum || numeric > maximum)) {
    return `${label} must be between ${minimum} and ${maximum}`;
  }
  if (minimum !== undefined && numeric < minimum) return `${label} must be at least ${minimum}`;
  if (maximum !== undefined && numeric > maximum) return `${label} must be at most ${maximum}`;
  return undefined;
}

/** "linkedinUrl" → "Linkedin url", "tags.3" → "Tags item 4". */
function labelOf(field: string): string {
  const parts = field.split(".");
  const last = parts[parts.length - 1] ?? field;
  if (/^\d+$/.test(last) && parts.length > 1) {
    return `${labelOf(parts.slice(0, -1).join("."))} item ${Number(last) + 1}`;
  }
  const words = last.replace(/([a-z0-9])([A-Z])/g, "$1 $2").toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}
