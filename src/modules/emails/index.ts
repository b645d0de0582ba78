import { Elysia } from "elysia";
import { list, ok } from "../../http/envelope";
import type { Guards } from "../../http/guards";
import { limitOf } from "../../http/pagination";
import { traceOf } from "../../http/trace";
import {
  createEmailBody,
  emailIdParams,
  getEmailResponses,
  listEmailsQuery,
  listEmailsResponses,
  queueEmailResponses,
} from "./model";
import type { EmailService } from "./service";

const tags = ["emails"];

export function emailRoutes(guards: Guards, service: EmailService) {
  return new Elysia()
    .use(guards)
    .post(
      "/emails",
      async ({ principal, body, set, request }) => {
        const email = await service.queue(principal, body, traceOf(request).traceId);
        // 202: accepted into the outbox; delivery happens later, and its outcome shows on GET.
        set.status = 202;
        set.headers.location = `/api/v1/emails/${email.id}`;
        return ok(email);
      },
      {
        auth: "user",
        rateLimit: "email",
        body: createEmailBody,
        response: guards.responses(queueEmailResponses),
        detail: { tags, summary: "Queue an email to a prospect; it is delivered over SMTP with retries" },
      },
    )
    .get(
      "/emails",
      async ({ principal, query }) => {
        const page = await service.list(principal, {
          limit: limitOf(query.limit),
          cursor: query.cursor,
          prospectId: query.prospectId,
        });
        return list(page.data, page.meta);
      },
      {
        auth: "user",
        query: listEmailsQuery,
        response: guards.responses(listEmailsResponses),
        detail: { tags, summary: "List the organization's emails, newest first" },
      },
    )
    .get("/emails/:id", async ({ principal, params }) => ok(await service.get(principal, params.id)), {
      auth: "user",
      params: emailIdParams,
      response: guards.responses(getEmailResponses),
      detail: { tags, summary: "An email and its delivery status" },
    });
}
