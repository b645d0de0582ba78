-- Postgres' 005 makes prospects_search_text skip its accent folding for ASCII values; SQLite's
-- FTS5 tokenizer does that folding itself. The statement keeps the migration lists of both
-- dialects the same, as test/db/migrate.test.ts requires.
SELECT 1;
