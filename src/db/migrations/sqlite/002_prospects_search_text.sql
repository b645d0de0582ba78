-- Postgres' 002 makes its search tokens match what prospects_fts (unicode61, remove_diacritics 2)
-- already produces here: nothing changes on SQLite. The statement keeps the migration lists of
-- both dialects the same, as test/db/migrate.test.ts requires.
SELECT 1;
