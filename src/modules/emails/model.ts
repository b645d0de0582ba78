import { t } from "elysia";
import { pageQuery } from "../../http/pagination";
import { errorEnvelopeSchema, listSchema, nullable, okSchema, timestampSchema } from "../../http/schemas";

/**
 * No control character (Unicode Cc: C0, DEL and C1): a CR or LF in a header value could add
 * headers or recipients, and a C1 one (U+0085 NEL) is a line break to some readers. The worker's
 * last check before sending (src/mail/address.ts, `\p{Cc}`) refuses the same set.
 */
const singleLinePattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$";

export const createEmailBody = t.Object(
  {
    prospectId: t.String({ minLength: 1, maxLength: 64 }),
    subject: t.String({ minLength: 1, maxLength: 200, pattern: singleLinePattern }),
    text: t.String({ minLength: 1, maxLength: 100_000 }),
    html: t.Optional(t.String({ minLength: 1, maxLength: 500_000 })),
  },
  {
    examples: [
      {
        prospectId: "0192f1a4-7b3c-7d2e-9f10-3c4d5e6f7a80",
        subject: "Quick question about Acme's outbound",
        text: "Hi Jane,\n\nWould a 20-minute call next week work?\n\nBest,\nSam",
      },
    ],
  },
);

export const emailIdParams = t.Object({ id: t.String({ minLength: 1, maxLength: 64 }) });

export const listEmailsQuery = t.Object({
  ...pageQuery,
  prospectId: t.Optional(t.String({ minLength: 1, maxLength: 64 })),
});

/** What clients see of an email: everything but its organization and who queued it. */
export const emailSchema = t.Object(
  {
    id: t.String(),
    prospectId: t.String(),
    to: t.String(),
    subject: t.String(),
    text: t.String(),
    html: nullable(t.String()),
    status: t.Union([t.Literal("queued"), t.Literal("sending"), t.Literal("sent"), t.Literal("failed")]),
    attempts: t.Integer({ minimum: 0 }),
    lastError: nullable(t.String()),
    messageId: nullable(t.String()),
    nextAttemptAt: timestampSchema,
    sentAt: nullable(timestampSchema),
    createdAt: timestampSchema,
    updatedAt: timestampSchema,
  },
  { $id: "Email", additionalProperties: false },
);

/** 404: no such prospect in the caller's organization. */
export const queueEmailResponses = { 202: okSchema(emailSchema), 404: errorEnvelopeSchema };
export const listEmailsResponses = { 200: listSchema(emailSchema) };
export const getEmailResponses = { 200: okSchema(emailSchema), 404: errorEnvelopeSchema };
