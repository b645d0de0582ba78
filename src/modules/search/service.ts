import { decodeCursor, encodeCursor } from "../../db/cursor";
import { httpError } from "../../http/errors";
import { limitOf } from "../../http/pagination";
import type { Principal } from "../auth/principal";
import { publicProspect } from "../prospects/service";
import type { SearchQuery } from "./model";
import type { SearchRepository } from "./repository";
import { exactText, searchTerms } from "./terms";

export type SearchService = ReturnType<typeof createSearchService>;

const badCursor = () => httpError(422, "Invalid cursor", { details: { cursor: ["is not a cursor of this search"] } });

/** How deep a search pages: past this, ranked results are noise and the OFFSET scan is costly. */
export const maxSearchOffset = 10_000;

/**
 * Ranked search. Results have no stable key to continue after (a rank changes as rows change),
 * so its cursor holds an offset, and the words it was made for: a cursor of another search or
 * of another list is a 422.
 */
export function createSearchService(deps: { search: SearchRepository }) {
  return {
    async search(principal: Principal, query: SearchQuery) {
      const terms = searchTerms(query.q);
      if (terms.length === 0) {
        throw httpError(422, "Validation failed", { details: { q: ["q must contain at least one letter or digit"] } });
      }
      const limit = limitOf(query.limit);
      const words = Bun.hash(terms.join(" ")).toString(36);
      const offset = query.cursor ? offsetOf(query.cursor, words) : 0;
      const hits = await deps.search.search({
        organizationId: principal.organizationId,
        terms,
        exact: exactText(query.q),
        limit: limit + 1,
        offset,
      });
      const hasMore = hits.length > limit;
      const data = hits.slice(0, limit).map((hit) => ({
        ...publicProspect(hit.prospect),
        // float4 on Postgres: six places are all the precision there is.
        relevance: Math.round(hit.relevance * 1e6) / 1e6,
      }));
      const nextCursor = hasMore ? encodeCursor(["search", words, offset + limit]) : null;
      return { data, meta: { limit, nextCursor, hasMore } };
    },
  };
}

function offsetOf(cursor: string, words: string): number {
  const [kind, cursorWords, offset] = decodeCursor(cursor, ["string", "string", "number"] as const);
  if (kind !== "search" || cursorWords !== words || offset < 0 || offset > maxSearchOffset) throw badCursor();
  return offset;
}
