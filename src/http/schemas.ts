import { type Static, type TSchema, t } from "elysia";

/**
 * The envelope as TypeBox schemas: routes declare their `response` with these, the OpenAPI
 * document is generated from them, and envelope.ts types its builders with them. A schema with
 * an `$id` becomes one entry of `components.schemas` in the document (docs/sanitize.ts).
 */

// t.Unsafe keeps the schema as it is (its Kind too, so it validates as a record) and only states
// its type: the TypeBox module import that Elysia's route types go through types an optional
// t.Record as `{}`, so Eden clients saw `errors?: {}`.
export const fieldErrorsSchema = t.Unsafe<Record<string, string[]>>(
  t.Record(t.String(), t.Array(t.String()), {
    $id: "FieldErrors",
    description: 'Messages per field path, e.g. `{ "email": ["Invalid email format"] }`.',
  }),
);

export const errorEnvelopeSchema = t.Object(
  {
    success: t.Literal(false),
    error: t.String({ description: "The status's name: NotFound, ValidationError, TooManyRequests…" }),
    message: t.String(),
    statusCode: t.Integer({ minimum: 400, maximum: 599 }),
    timestamp: t.String({ format: "date-time" }),
    path: t.String(),
    method: t.String(),
    requestId: t.String(),
    errors: t.Optional(fieldErrorsSchema),
  },
  {
    $id: "ErrorEnvelope",
    description: "Every error, whatever its status; `errors` only on 422.",
    additionalProperties: false,
    examples: [
      {
        success: false,
        error: "NotFound",
        message: "Resource not found",
        statusCode: 404,
        timestamp: "2025-11-21T10:30:00.000Z",
        path: "/api/v1/prospects/unknown-id",
        method: "GET",
        requestId: "req_1700000000_abc123",
      },
    ],
  },
);

export type ErrorEnvelope = Static<typeof errorEnvelopeSchema>;

export const listMetaSchema = t.Object(
  {
    limit: t.Integer({ minimum: 1, maximum: 100 }),
    nextCursor: t.Union([t.String(), t.Null()], { description: "Pass as `?cursor=` for the next page" }),
    hasMore: t.Boolean(),
  },
  { $id: "ListMeta", additionalProperties: false },
);

export type ListMeta = Static<typeof listMetaSchema>;

/** `{ success: true, data }` */
export function okSchema<T extends TSchema>(data: T) {
  return t.Object({ success: t.Literal(true), data }, { additionalProperties: false });
}

/** `{ success: true, data: [...], meta }` */
export function listSchema<T extends TSchema>(item: T) {
  return t.Object(
    { success: t.Literal(true), data: t.Array(item), meta: listMetaSchema },
    { additionalProperties: false },
  );
}

/**
 * An instant a client sends: RFC 3339 with the time and the zone. The date-time format check
 * alone lets "2026-01-01", "2026-01-01 10:00" and the extended year "+010000-01-01T…" through,
 * which are no instant a client could read back.
 */
export function instantSchema(options: { error?: string; description?: string } = {}) {
  return t.String({
    format: "date-time",
    pattern: "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?(Z|[+-]\\d{2}:\\d{2})$",
    ...options,
  });
}

/** An ISO 8601 instant as the API writes it. */
export const timestampSchema = t.String({ format: "date-time" });

/** `T` or null. */
export function nullable<T extends TSchema>(schema: T) {
  return t.Union([schema, t.Null()]);
}
