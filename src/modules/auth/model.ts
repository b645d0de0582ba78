import { t } from "elysia";
import { errorEnvelopeSchema, okSchema } from "../../http/schemas";

const email = t.String({ format: "email", maxLength: 254 });
const password = t.String({ minLength: 8, maxLength: 128 });

// Examples are the seed's (deployment guide); Swagger UI prefills its editor with them.
export const loginBody = t.Object(
  { email, password },
  { examples: [{ email: "user@example.com", password: "password123" }] },
);
export const refreshBody = t.Object(
  { refreshToken: t.String({ minLength: 1, maxLength: 4096 }) },
  { examples: [{ refreshToken: "eyJhbGciOiJIUzI1NiIs..." }] },
);
export const logoutBody = t.Optional(
  t.Object(
    { scope: t.Optional(t.Union([t.Literal("session"), t.Literal("global")])) },
    { examples: [{ scope: "session" }] },
  ),
);

export const roleSchema = t.Union([t.Literal("viewer"), t.Literal("user"), t.Literal("admin")]);

const token = t.String({ minLength: 1 });
const tokenPair = { accessToken: token, refreshToken: token };
const closed = { additionalProperties: false } as const;

export const loginResponses = {
  200: okSchema(
    t.Object({ ...tokenPair, user: t.Object({ id: t.String(), email: t.String(), role: roleSchema }, closed) }, closed),
  ),
  401: errorEnvelopeSchema,
};

export const refreshResponses = { 200: okSchema(t.Object(tokenPair, closed)), 401: errorEnvelopeSchema };

export const logoutResponses = { 200: okSchema(t.Object({ sessionsRevoked: t.Integer({ minimum: 0 }) }, closed)) };

export const meResponses = {
  200: okSchema(
    t.Object(
      {
        user: t.Union([
          t.Object({ id: t.String(), email: t.String(), organizationId: t.String(), role: roleSchema }, closed),
          t.Null(),
        ]),
        apiKey: t.Optional(
          t.Object(
            { id: t.String(), name: t.String(), prefix: t.String(), organizationId: t.String(), role: roleSchema },
            closed,
          ),
        ),
      },
      closed,
    ),
  ),
};
export const emailSchema = email;
export const passwordSchema = password;
