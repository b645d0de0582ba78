import { Elysia } from "elysia";
import { ok } from "../../http/envelope";
import type { Guards } from "../../http/guards";
import { usageQuery, usageResponses } from "./model";
import type { UsageService } from "./service";

const tags = ["usage"];

export function usageRoutes(guards: Guards, service: UsageService) {
  return new Elysia()
    .use(guards)
    .get("/usage", async ({ principal, query }) => ok(await service.summary(principal, query)), {
      auth: "admin",
      query: usageQuery,
      response: guards.responses(usageResponses),
      detail: {
        tags,
        summary: "API use of the organization per endpoint: requests, error rate, p50/p95 response time",
      },
    });
}
