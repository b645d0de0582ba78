import { t } from "elysia";
import { emailSchema, passwordSchema, roleSchema } from "../auth/model";

export const createUserBody = t.Object({
  email: emailSchema,
  password: passwordSchema,
  role: t.Optional(roleSchema),
});

export const updateUserBody = t.Object({
  email: t.Optional(emailSchema),
  password: t.Optional(passwordSchema),
  role: t.Optional(roleSchema),
  disabled: t.Optional(t.Boolean()),
});

export const userIdParams = t.Object({ id: t.String({ minLength: 1, maxLength: 64 }) });
