import { t } from "elysia";
import { pageQuery } from "../../http/pagination";

/** No control characters: a CR or LF in a header value could add headers or recipients. */
const singleLinePattern = "^[^\\u0000-\\u001f\\u007f]*$";

export const createEmailBody = t.Object({
  prospectId: t.String({ minLength: 1, maxLength: 64 }),
  subject: t.String({ minLength: 1, maxLength: 200, pattern: singleLinePattern }),
  text: t.String({ minLength: 1, maxLength: 100_000 }),
  html: t.Optional(t.String({ minLength: 1, maxLength: 500_000 })),
});

export const emailIdParams = t.Object({ id: t.String({ minLength: 1, maxLength: 64 }) });

export const listEmailsQuery = t.Object({
  ...pageQuery,
  prospectId: t.Optional(t.String({ minLength: 1, maxLength: 64 })),
});
