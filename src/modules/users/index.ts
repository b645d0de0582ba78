import { Elysia, t } from "elysia";
import { list, ok } from "../../http/envelope";
import type { Guards } from "../../http/guards";
import { limitOf, pageQuery } from "../../http/pagination";
import {
  createUserBody,
  createUserResponses,
  deleteUserResponses,
  listUsersResponses,
  updateUserBody,
  updateUserResponses,
  userIdParams,
} from "./model";
import type { UserService } from "./service";

const tags = ["users"];

export function userRoutes(guards: Guards, service: UserService) {
  return new Elysia()
    .use(guards)
    .get(
      "/users",
      async ({ principal, query }) => {
        const page = await service.list(principal, { limit: limitOf(query.limit), cursor: query.cursor });
        return list(page.data, page.meta);
      },
      {
        auth: "admin",
        query: t.Object(pageQuery),
        response: guards.responses(listUsersResponses),
        detail: { tags, summary: "List the organization's users" },
      },
    )
    .post(
      "/users",
      async ({ principal, body, set }) => {
        set.status = 201;
        return ok(await service.create(principal, body));
      },
      {
        auth: "admin",
        body: createUserBody,
        response: guards.responses(createUserResponses),
        detail: { tags, summary: "Add a user to the organization" },
      },
    )
    .patch("/users/:id", async ({ principal, params, body }) => ok(await service.update(principal, params.id, body)), {
      auth: "admin",
      params: userIdParams,
      body: updateUserBody,
      response: guards.responses(updateUserResponses),
      detail: { tags, summary: "Change a user's email, password, role or disabled flag" },
    })
    .delete(
      "/users/:id",
      async ({ principal, params }) => {
        await service.remove(principal, params.id);
        return ok({ id: params.id, deleted: true });
      },
      {
        auth: "admin",
        params: userIdParams,
        response: guards.responses(deleteUserResponses),
        detail: { tags, summary: "Remove a user" },
      },
    );
}
