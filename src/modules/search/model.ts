import { t } from "elysia";
import { pageQuery } from "../../http/pagination";

export const searchQuery = t.Object({
  ...pageQuery,
  q: t.String({ minLength: 1, maxLength: 200 }),
});

export type SearchQuery = typeof searchQuery.static;
