import { Elysia, type Static } from "elysia";
import { list, ok } from "../../http/envelope";
import type { Guards } from "../../http/guards";
import {
  createProspectBody,
  createProspectResponses,
  deleteProspectResponses,
  getProspectResponses,
  idempotencyHeaders,
  listProspectsQuery,
  listProspectsResponses,
  prospectIdParams,
  updateProspectBody,
  updateProspectResponses,
} from "./model";
import type { PageCache } from "./page-cache";
import type { ProspectService } from "./service";

const tags = ["prospects"];

type ProspectBody = Static<(typeof createProspectResponses)[201]>;

/** What names one page of the list: every query parameter, in a fixed order. */
const pageKey = (query: Static<typeof listProspectsQuery>) =>
  JSON.stringify([
    query.limit,
    query.sort,
    query.cursor,
    query.status,
    query.ownerId,
    query.tag,
    query.createdAfter,
    query.createdBefore,
  ]);

/** Cache-Control: no-cache (a hard reload sends it): the client wants the page read now. */
const wantsFresh = (cacheControl: string | null) =>
  cacheControl !== null && /(?:^|,)\s*no-cache\s*(?:,|$)/i.test(cacheControl);

/**
 * Prospects of the caller's organization: viewers read, users and admins write. Pages of the list
 * are served from `pages` while no write has changed the organization (./page-cache.ts).
 */
export function prospectRoutes(guards: Guards, service: ProspectService, pages: PageCache) {
  return new Elysia()
    .use(guards)
    .get(
      "/prospects",
      ({ principal, query, request }) =>
        pages.read(
          principal.organizationId,
          pageKey(query),
          async () => {
            const page = await service.list(principal, query);
            return list(page.data, page.meta);
          },
          wantsFresh(request.headers.get("cache-control")),
        ),
      {
        auth: "viewer",
        query: listProspectsQuery,
        response: guards.responses(listProspectsResponses),
        detail: {
          tags,
          summary: "List prospects, filtered and sorted, a page at a time",
          description:
            "A write through the API is in the next page on every instance. Changes made around the API show within " +
            "PAGE_CACHE_TTL_MS (10 s), or at once with `Cache-Control: no-cache`, which reads the page from the database.",
        },
      },
    )
    .post(
      "/prospects",
      async ({ principal, body, headers, set }) => {
        const result = await service.create(principal, body, headers["idempotency-key"]);
        set.status = result.response.status;
        if (result.replayed) set.headers["idempotent-replayed"] = "true";
        // A replay sends the stored body again; the response schema checks it like a fresh one.
        return result.response.body as ProspectBody;
      },
      {
        auth: "user",
        body: createProspectBody,
        headers: idempotencyHeaders,
        response: guards.responses(createProspectResponses),
        detail: { tags, summary: "Add a prospect; an Idempotency-Key makes retries safe" },
      },
    )
    .get("/prospects/:id", async ({ principal, params }) => ok(await service.get(principal, params.id)), {
      auth: "viewer",
      params: prospectIdParams,
      response: guards.responses(getProspectResponses),
      detail: { tags, summary: "Get a prospect" },
    })
    .patch(
      "/prospects/:id",
      async ({ principal, params, body }) => ok(await service.update(principal, params.id, body)),
      {
        auth: "user",
        params: prospectIdParams,
        body: updateProspectBody,
        response: guards.responses(updateProspectResponses),
        detail: { tags, summary: "Change the fields a prospect's body names" },
      },
    )
    .delete(
      "/prospects/:id",
      async ({ principal, params }) => {
        await service.remove(principal, params.id);
        return ok({ id: params.id, deleted: true });
      },
      {
        auth: "user",
        params: prospectIdParams,
        response: guards.responses(deleteProspectResponses),
        detail: { tags, summary: "Delete a prospect" },
      },
    );
}
