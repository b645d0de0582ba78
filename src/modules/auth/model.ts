import { t } from "elysia";

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
export const emailSchema = email;
export const passwordSchema = password;
