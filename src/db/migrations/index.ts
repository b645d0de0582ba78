import type { Dialect } from "../database";
import postgresInit from "./postgres/001_init.sql" with { type: "text" };
import postgresSearchText from "./postgres/002_prospects_search_text.sql" with { type: "text" };
import postgresTraceIds from "./postgres/003_trace_ids.sql" with { type: "text" };
import postgresSearchIndex from "./postgres/004_search_index_without_pending_list.sql" with { type: "text" };
import postgresSearchTextAscii from "./postgres/005_search_text_ascii_fast_path.sql" with { type: "text" };
import sqliteInit from "./sqlite/001_init.sql" with { type: "text" };
import sqliteSearchText from "./sqlite/002_prospects_search_text.sql" with { type: "text" };
import sqliteTraceIds from "./sqlite/003_trace_ids.sql" with { type: "text" };
import sqliteSearchIndex from "./sqlite/004_search_index_without_pending_list.sql" with { type: "text" };
import sqliteSearchTextAscii from "./sqlite/005_search_text_ascii_fast_path.sql" with { type: "text" };

export interface Migration {
  /** The file name without .sql: NNN_name. Recorded in schema_migrations. */
  name: string;
  sql: string;
}

/**
 * Every migration, in order, per dialect. Imported rather than read from disk so that a
 * `bun build` bundle carries them; test/db/migrate.test.ts checks that each .sql file in the
 * folders is listed here, and that both dialects have the same names.
 */
export const migrations: Record<Dialect, Migration[]> = {
  postgres: [
    { name: "001_init", sql: postgresInit },
    { name: "002_prospects_search_text", sql: postgresSearchText },
    { name: "003_trace_ids", sql: postgresTraceIds },
    { name: "004_search_index_without_pending_list", sql: postgresSearchIndex },
    { name: "005_search_text_ascii_fast_path", sql: postgresSearchTextAscii },
  ],
  sqlite: [
    { name: "001_init", sql: sqliteInit },
    { name: "002_prospects_search_text", sql: sqliteSearchText },
    { name: "003_trace_ids", sql: sqliteTraceIds },
    { name: "004_search_index_without_pending_list", sql: sqliteSearchIndex },
    { name: "005_search_text_ascii_fast_path", sql: sqliteSearchTextAscii },
  ],
};
