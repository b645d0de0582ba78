import { t } from "elysia";
import { instantSchema, okSchema, timestampSchema } from "../../http/schemas";

export const usageQuery = t.Object({
  from: t.Optional(instantSchema({ error: "From must be an ISO 8601 date-time" })),
  to: t.Optional(instantSchema({ error: "To must be an ISO 8601 date-time" })),
});

const counts = {
  requests: t.Integer({ minimum: 0 }),
  clientErrors: t.Integer({ minimum: 0 }),
  serverErrors: t.Integer({ minimum: 0 }),
  errorRate: t.Number({ minimum: 0, maximum: 1 }),
};
const closed = { additionalProperties: false } as const;

export const usageResponses = {
  200: okSchema(
    t.Object(
      {
        from: timestampSchema,
        to: timestampSchema,
        totals: t.Object(counts, closed),
        endpoints: t.Array(
          t.Object(
            {
              method: t.String(),
              endpoint: t.String({ description: "Route template, e.g. /api/v1/prospects/:id" }),
              ...counts,
              p50Ms: t.Number({ minimum: 0 }),
              p95Ms: t.Number({ minimum: 0 }),
            },
            closed,
          ),
        ),
      },
      closed,
    ),
  ),
};
