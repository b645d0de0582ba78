import { t } from "elysia";
import { limitQuery, pageQuery } from "../../http/pagination";
import { listSchema } from "../../http/schemas";
import { prospectFields } from "../prospects/model";

export const searchQuery = t.Object({
  cursor: pageQuery.cursor,
  limit: limitQuery,
  q: t.String({ minLength: 1, maxLength: 200, error: "q must be the text to search for, 1 to 200 characters" }),
});

export type SearchQuery = typeof searchQuery.static;

/** A prospect with how well it matches, best first. */
export const searchHitSchema = t.Object(
  { ...prospectFields, relevance: t.Number() },
  { $id: "SearchHit", additionalProperties: false },
);

export const searchResponses = { 200: listSchema(searchHitSchema) };
