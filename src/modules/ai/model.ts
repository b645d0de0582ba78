import { t } from "elysia";
import { errorEnvelopeSchema, okSchema } from "../../http/schemas";
import { maxSubjectLength } from "./prompt";

export const draftEmailBody = t.Object(
  {
    prospectId: t.String({ minLength: 1, maxLength: 64 }),
    goal: t.String({ minLength: 1, maxLength: 1000 }),
    tone: t.Optional(t.Union([t.Literal("friendly"), t.Literal("formal"), t.Literal("direct")])),
  },
  {
    examples: [
      { prospectId: "0192f1a4-7b3c-7d2e-9f10-3c4d5e6f7a80", goal: "Book a 20-minute demo next week", tone: "friendly" },
    ],
  },
);

export const draftSchema = t.Object(
  {
    subject: t.String({ minLength: 1, maxLength: maxSubjectLength }),
    body: t.String({ minLength: 1 }),
  },
  { additionalProperties: false },
);

/** 404: no such prospect; 502: the provider failed or answered no draft; 503: not configured, or its circuit is open; 504: too slow. */
export const draftEmailResponses = {
  200: okSchema(draftSchema),
  404: errorEnvelopeSchema,
  502: errorEnvelopeSchema,
  503: errorEnvelopeSchema,
  504: errorEnvelopeSchema,
};
