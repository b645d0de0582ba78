import { Elysia } from "elysia";
import { ok } from "../../http/envelope";
import type { Guards } from "../../http/guards";
import { draftEmailBody, draftEmailResponses } from "./model";
import type { AiService } from "./service";

const tags = ["ai"];

export function aiRoutes(guards: Guards, service: AiService) {
  return new Elysia()
    .use(guards)
    .post("/ai/draft-email", async ({ principal, body }) => ok(await service.draftEmail(principal, body)), {
      auth: "user",
      rateLimit: "ai",
      body: draftEmailBody,
      response: draftEmailResponses,
      detail: { tags, summary: "Draft an email to a prospect with the configured chat model" },
    });
}
