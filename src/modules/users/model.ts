import { t } from "elysia";
import { errorEnvelopeSchema, listSchema, okSchema, timestampSchema } from "../../http/schemas";
import { emailSchema, passwordSchema, roleSchema } from "../auth/model";

export const createUserBody = t.Object(
  { email: emailSchema, password: passwordSchema, role: t.Optional(roleSchema) },
  { examples: [{ email: "jane.doe@example.com", password: "correct-horse-battery", role: "user" }] },
);

export const updateUserBody = t.Object(
  {
    email: t.Optional(emailSchema),
    password: t.Optional(passwordSchema),
    role: t.Optional(roleSchema),
    disabled: t.Optional(t.Boolean()),
  },
  { examples: [{ role: "admin" }] },
);

export const userIdParams = t.Object({ id: t.String({ minLength: 1, maxLength: 64 }) });

/** What clients see of a user: never the password hash. */
export const userSchema = t.Object(
  {
    id: t.String(),
    email: t.String(),
    role: roleSchema,
    disabled: t.Boolean(),
    organizationId: t.String(),
    createdAt: timestampSchema,
    updatedAt: timestampSchema,
  },
  { $id: "User", additionalProperties: false },
);

export const listUsersResponses = { 200: listSchema(userSchema) };
/** 409: the email is taken. */
export const createUserResponses = { 201: okSchema(userSchema), 409: errorEnvelopeSchema };
/** 409: the email is taken, or the change would leave no admin. */
export const updateUserResponses = { 200: okSchema(userSchema), 404: errorEnvelopeSchema, 409: errorEnvelopeSchema };
/** 409: the organization's last admin. */
export const deleteUserResponses = {
  200: okSchema(t.Object({ id: t.String(), deleted: t.Literal(true) }, { additionalProperties: false })),
  404: errorEnvelopeSchema,
  409: errorEnvelopeSchema,
};
