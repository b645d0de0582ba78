import { t } from "elysia";

export const usageQuery = t.Object({
  from: t.Optional(t.String({ format: "date-time", error: "From must be an ISO 8601 date-time" })),
  to: t.Optional(t.String({ format: "date-time", error: "To must be an ISO 8601 date-time" })),
});
