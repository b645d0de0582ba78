import { Elysia, t } from "elysia";
import { list, ok } from "../../http/envelope";
import type { Guards } from "../../http/guards";
import { limitOf, pageQuery } from "../../http/pagination";
import {
  apiKeyIdParams,
  createApiKeyBody,
  createApiKeyResponses,
  listApiKeysResponses,
  revokeApiKeyResponses,
} from "./model";
import type { ApiKeyService } from "./service";

const tags = ["api-keys"];

export function apiKeyRoutes(guards: Guards, service: ApiKeyService) {
  return new Elysia()
    .use(guards)
    .get(
      "/api-keys",
      async ({ principal, query }) => {
        const page = await service.list(principal, { limit: limitOf(query.limit), cursor: query.cursor });
        return list(page.data, page.meta);
      },
      {
        auth: "admin",
        query: t.Object(pageQuery),
        response: guards.responses(listApiKeysResponses),
        detail: { tags, summary: "List the organization's API keys" },
      },
    )
    .post(
      "/api-keys",
      async ({ principal, body, set }) => {
        set.status = 201;
        return ok(await service.create(principal, body));
      },
      {
        auth: "admin",
        body: createApiKeyBody,
        response: guards.responses(createApiKeyResponses),
        detail: { tags, summary: "Create an API key; the secret is shown only in this response" },
      },
    )
    .delete(
      "/api-keys/:id",
      async ({ principal, params }) => {
        await service.revoke(principal, params.id);
        return ok({ id: params.id, revoked: true });
      },
      {
        auth: "admin",
        params: apiKeyIdParams,
        response: guards.responses(revokeApiKeyResponses),
        detail: { tags, summary: "Revoke an API key" },
      },
    );
}
