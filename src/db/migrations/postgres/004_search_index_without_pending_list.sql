-- A GIN index with fastupdate (Postgres' default) files new rows' tokens in a pending list that
-- every search reads in full, until a vacuum or a 4 MB list merges it into the index: a search's
-- cost then grows with the prospects added since the last vacuum (an import of 3,000 made each
-- search 3.2x slower: 4.3 ms against 1.3 with the list merged, docs/performance.md). Prospects are
-- written far less often than they are searched, and a direct insert costs about the same here:
-- without the list, searches no longer depend on when autovacuum last ran.
ALTER INDEX prospects_search_idx SET (fastupdate = off);
-- Turning fastupdate off leaves what the list holds in it: merge it now.
SELECT gin_clean_pending_list('prospects_search_idx');
