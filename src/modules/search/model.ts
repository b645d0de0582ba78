import { t } from "elysia";
import { limitQuery, pageQuery } from "../../http/pagination";

export const searchQuery = t.Object({
  cursor: pageQuery.cursor,
  limit: limitQuery,
  q: t.String({ minLength: 1, maxLength: 200, error: "q must be the text to search for, 1 to 200 characters" }),
});

export type SearchQuery = typeof searchQuery.static;
