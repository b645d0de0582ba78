import { Elysia } from "elysia";
import { ok } from "../../http/envelope";
import type { Guards } from "../../http/guards";
import { traceOf } from "../../http/trace";
import { childTraceparent } from "../../lib/trace-context";
import { draftEmailBody, draftEmailResponses } from "./model";
import type { AiService } from "./service";

const tags = ["ai"];

export function aiRoutes(guards: Guards, service: AiService) {
  return new Elysia()
    .use(guards)
    .post(
      "/ai/draft-email",
      async ({ principal, body, request }) =>
        ok(await service.draftEmail(principal, body, { traceparent: childTraceparent(traceOf(request)) })),
      {
        auth: "user",
        rateLimit: "ai",
        body: draftEmailBody,
        response: guards.responses(draftEmailResponses),
        detail: { tags, summary: "Draft an email to a prospect with the configured chat model" },
      },
    );
}
