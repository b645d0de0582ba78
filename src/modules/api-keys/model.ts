import { t } from "elysia";
import { roleSchema } from "../auth/model";

export const createApiKeyBody = t.Object({
  name: t.String({ minLength: 1, maxLength: 100 }),
  role: t.Optional(roleSchema),
  expiresAt: t.Optional(t.String({ format: "date-time" })),
});

export const apiKeyIdParams = t.Object({ id: t.String({ minLength: 1, maxLength: 64 }) });
