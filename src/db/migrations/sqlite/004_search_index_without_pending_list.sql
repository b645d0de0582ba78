-- Postgres' 004 stops its GIN search index from keeping a pending list; SQLite's FTS5 index has
-- none. The statement keeps the migration lists of both dialects the same, as
-- test/db/migrate.test.ts requires.
SELECT 1;
