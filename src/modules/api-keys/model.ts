import { t } from "elysia";
import {
  errorEnvelopeSchema,
  instantSchema,
  listSchema,
  nullable,
  okSchema,
  timestampSchema,
} from "../../http/schemas";
import { roleSchema } from "../auth/model";

export const createApiKeyBody = t.Object(
  {
    name: t.String({ minLength: 1, maxLength: 100 }),
    role: t.Optional(roleSchema),
    expiresAt: t.Optional(instantSchema()),
  },
  { examples: [{ name: "CRM sync", role: "user", expiresAt: "2027-12-31T23:59:59Z" }] },
);

export const apiKeyIdParams = t.Object({ id: t.String({ minLength: 1, maxLength: 64 }) });

const apiKeyFields = {
  id: t.String(),
  name: t.String(),
  /** The first characters of the secret, to tell keys apart. */
  prefix: t.String(),
  /** The key's own role. */
  role: roleSchema,
  /** What it acts with now: the lower of its role and its creator's; null once the creator is disabled or deleted. */
  effectiveRole: nullable(roleSchema),
  createdBy: nullable(t.Object({ id: t.String(), email: t.String() }, { additionalProperties: false })),
  createdAt: timestampSchema,
  lastUsedAt: nullable(timestampSchema),
  expiresAt: nullable(timestampSchema),
};

/** What clients see of a key: never its hash. */
export const apiKeySchema = t.Object(apiKeyFields, { $id: "ApiKey", additionalProperties: false });

export const listApiKeysResponses = { 200: listSchema(apiKeySchema) };
export const createApiKeyResponses = {
  201: okSchema(
    t.Object(
      { ...apiKeyFields, key: t.String({ description: "The secret, shown only in this response" }) },
      { additionalProperties: false },
    ),
  ),
};
export const revokeApiKeyResponses = {
  200: okSchema(t.Object({ id: t.String(), revoked: t.Literal(true) }, { additionalProperties: false })),
  404: errorEnvelopeSchema,
};
