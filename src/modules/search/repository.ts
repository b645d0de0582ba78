import type { Database } from "../../db/database";
import { toNumber } from "../../db/values";
import { type ProspectRecord, type ProspectRow, prospectColumns, toProspect } from "../prospects/repository";
import { toFtsMatch, toTsQuery } from "./terms";

export interface SearchHit {
  prospect: ProspectRecord;
  relevance: number;
}

export interface SearchRequest {
  organizationId: string;
  terms: readonly string[];
  /** An exact (case-insensitive) company or email match ranks above every other hit. */
  exact: string;
  limit: number;
  offset: number;
}

export type SearchRepository = ReturnType<typeof createSearchRepository>;

/*
 * Weights, high to low: company and names, then email and title, then notes. Postgres' are
 * ts_rank_cd's {D, C, B, A} for the setweight classes of the search column; SQLite's are bm25's,
 * one per prospects_fts column (first_name, last_name, email, company, title, notes), in the
 * same proportions. ts_rank_cd also divides by 1 + log(document length) (normalization 1), as
 * bm25 favours shorter documents: without it, rows that match alike tie on Postgres and are
 * ordered by id while SQLite orders them by length. Both ranks are mapped into [0, 1) by
 * rank / (rank + 1) (normalization 32 on Postgres), plus 1 for an exact company or email match,
 * and ties are broken by id. On the search test fixture both dialects then return the same
 * first result for every query and the same top ten for most (see test/search/).
 */

/** Ranked full-text search over one organization's prospects, on either dialect. */
export function createSearchRepository(db: Database) {
  const { sql } = db;
  const qualified = sql.unsafe(
    prospectColumns
      .split(", ")
      .map((column) => `p.${column}`)
      .join(", "),
  );

  async function postgres(request: SearchRequest) {
    return sql<(ProspectRow & { relevance: unknown })[]>`
      select ${qualified},
        ts_rank_cd('{0.1, 0.2, 0.4, 1.0}', p.search, query, 1 | 32)
          + case when lower(p.company) = ${request.exact} or lower(p.email) = ${request.exact} then 1 else 0 end
          as relevance
      from prospects p, to_tsquery('simple', ${toTsQuery(request.terms)}) query
      where p.organization_id = ${request.organizationId} and p.search @@ query
      order by relevance desc, p.id
      limit ${request.limit} offset ${request.offset}`;
  }

  async function sqlite(request: SearchRequest) {
    const bm25 = sql.unsafe("bm25(prospects_fts, 10.0, 10.0, 4.0, 10.0, 4.0, 2.0)");
    return sql<(ProspectRow & { relevance: unknown })[]>`
      select ${qualified},
        (-${bm25}) / (1 - ${bm25})
          + case when lower(p.company) = ${request.exact} or lower(p.email) = ${request.exact} then 1 else 0 end
          as relevance
      from prospects_fts join prospects p on p.rowid = prospects_fts.rowid
      where prospects_fts match ${toFtsMatch(request.terms)} and p.organization_id = ${request.organizationId}
      order by relevance desc, p.id
      limit ${request.limit} offset ${request.offset}`;
  }

  return {
    async search(request: SearchRequest): Promise<SearchHit[]> {
      const rows = db.dialect === "postgres" ? await postgres(request) : await sqlite(request);
      return rows.map((row) => ({ prospect: toProspect(row), relevance: toNumber(row.relevance) }));
    },
  };
}
