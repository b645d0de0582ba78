import { t } from "elysia";
import { limitQuery, pageQuery } from "../../http/pagination";
import { errorEnvelopeSchema, listSchema, okSchema, nullable as orNull, timestampSchema } from "../../http/schemas";

export const prospectStatuses = ["new", "contacted", "qualified", "proposal", "won", "lost"] as const;
export type ProspectStatus = (typeof prospectStatuses)[number];

export const prospectSorts = ["createdAt", "-createdAt", "score", "-score"] as const;
export type ProspectSort = (typeof prospectSorts)[number];

/**
 * One t.Literal per value, as before, typed as the union of the values: mapped, the literals are
 * typed `string`, and typed clients (Eden) accepted any status or sort. t.Unsafe keeps the schema
 * (its Kind too) and states the type.
 */
function literalUnion<const V extends readonly string[]>(values: V) {
  return t.Unsafe<V[number]>(t.Union(values.map((value) => t.Literal(value))));
}

const status = literalUnion(prospectStatuses);
const text = (maxLength: number) => t.String({ minLength: 1, maxLength });
const nullable = <T extends ReturnType<typeof t.String>>(schema: T) => t.Optional(t.Union([schema, t.Null()]));

const email = t.String({ format: "email", maxLength: 254 });
const phone = t.String({
  pattern: "^\\+?[0-9 ().\\-]{3,40}$",
  error: "Phone must be a phone number such as +1 555 010 2030: digits, spaces and + ( ) - . only",
});
const linkedinUrl = t.String({
  maxLength: 500,
  pattern: "^https?://([a-z0-9-]+\\.)*linkedin\\.com(/\\S*)?$",
  error: "LinkedIn URL must be a linkedin.com address such as https://www.linkedin.com/in/jane-doe",
});
const score = t.Integer({ minimum: 0, maximum: 100 });
// The limits of issue 6: at most 20 tags of 1–40 characters.
const tags = t.Array(t.String({ minLength: 1, maxLength: 40 }), { maxItems: 20 });
const notes = t.String({ maxLength: 10_000 });
const ownerId = t.String({ minLength: 1, maxLength: 64 });

/** Writable fields; id, organizationId and timestamps are never taken from the client. */
const fields = {
  firstName: nullable(text(100)),
  lastName: nullable(text(100)),
  company: nullable(text(200)),
  title: nullable(text(200)),
  phone: nullable(phone),
  linkedinUrl: nullable(linkedinUrl),
  status: t.Optional(status),
  score: t.Optional(score),
  tags: t.Optional(tags),
  notes: nullable(notes),
  ownerId: nullable(ownerId),
};

export const createProspectBody = t.Object(
  { email, ...fields },
  {
    examples: [
      {
        email: "jane.doe@acme.example",
        firstName: "Jane",
        lastName: "Doe",
        company: "Acme Corp",
        title: "VP Sales",
        phone: "+1 555 010 2030",
        linkedinUrl: "https://www.linkedin.com/in/jane-doe",
        status: "new",
        score: 72,
        tags: ["enterprise", "q4"],
        notes: "Met at SaaStr",
      },
    ],
  },
);
export const updateProspectBody = t.Object(
  { email: t.Optional(email), ...fields },
  { examples: [{ status: "contacted", score: 80, notes: "Demo booked for Tuesday" }] },
);

export type CreateProspectInput = typeof createProspectBody.static;
export type UpdateProspectInput = typeof updateProspectBody.static;

export const prospectIdParams = t.Object({ id: t.String({ minLength: 1, maxLength: 64 }) });

export const idempotencyHeaders = t.Object({
  "idempotency-key": t.Optional(
    t.String({
      description: "Makes retries safe: the same key and body within 24 hours create one prospect at most",
      minLength: 1,
      maxLength: 255,
      pattern: "^[\\x20-\\x7E]+$",
      error: "Idempotency-Key must be 1 to 255 printable ASCII characters",
    }),
  ),
});

// A date-time format check alone lets "2026-01-01" and "2026-01-01 10:00" through; a filter needs
// the time and the zone to mean one instant.
const instant = t.String({
  format: "date-time",
  pattern: "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,9})?)?(Z|[+-]\\d{2}:\\d{2})$",
});

export const listProspectsQuery = t.Object({
  cursor: pageQuery.cursor,
  limit: limitQuery,
  sort: t.Optional(literalUnion(prospectSorts)),
  status: t.Optional(status),
  ownerId: t.Optional(ownerId),
  tag: t.Optional(t.String({ minLength: 1, maxLength: 40 })),
  createdAfter: t.Optional(instant),
  createdBefore: t.Optional(instant),
});

export type ListProspectsQuery = typeof listProspectsQuery.static;

/** A prospect as clients see it (no organizationId). */
export const prospectFields = {
  id: t.String(),
  ownerId: orNull(t.String()),
  firstName: orNull(t.String()),
  lastName: orNull(t.String()),
  email: t.String(),
  company: orNull(t.String()),
  title: orNull(t.String()),
  phone: orNull(t.String()),
  linkedinUrl: orNull(t.String()),
  status: t.UnionEnum(prospectStatuses),
  score: t.Integer({ minimum: 0, maximum: 100 }),
  tags: t.Array(t.String()),
  notes: orNull(t.String()),
  createdAt: timestampSchema,
  updatedAt: timestampSchema,
};

export const prospectSchema = t.Object(prospectFields, { $id: "Prospect", additionalProperties: false });

export const listProspectsResponses = { 200: listSchema(prospectSchema) };
/**
 * 201 also for a replay of an earlier request with the same Idempotency-Key (its stored response,
 * with Idempotent-Replayed: true); 409: that key's first request is still running, or the email is taken.
 */
export const createProspectResponses = {
  201: okSchema(prospectSchema),
  409: errorEnvelopeSchema,
};
// 404 (no such prospect in the caller's organization) is declared for typed clients (Eden).
export const getProspectResponses = { 200: okSchema(prospectSchema), 404: errorEnvelopeSchema };
/** 409: the new email is taken. */
export const updateProspectResponses = {
  200: okSchema(prospectSchema),
  404: errorEnvelopeSchema,
  409: errorEnvelopeSchema,
};
export const deleteProspectResponses = {
  200: okSchema(t.Object({ id: t.String(), deleted: t.Literal(true) }, { additionalProperties: false })),
  404: errorEnvelopeSchema,
};
