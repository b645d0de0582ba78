import { Elysia } from "elysia";
import { list } from "../../http/envelope";
import type { Guards } from "../../http/guards";
import { searchQuery, searchResponses } from "./model";
import type { SearchService } from "./service";

/** Full-text search over the caller's organization's prospects, best match first. */
export function searchRoutes(guards: Guards, service: SearchService) {
  return new Elysia().use(guards).get(
    "/search",
    async ({ principal, query }) => {
      const result = await service.search(principal, query);
      return list(result.data, result.meta);
    },
    {
      auth: "viewer",
      rateLimit: "search",
      query: searchQuery,
      response: guards.responses(searchResponses),
      detail: { tags: ["search"], summary: "Search prospects by name, email, company, title and notes" },
    },
  );
}
