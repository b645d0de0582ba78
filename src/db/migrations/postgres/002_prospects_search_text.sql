-- Search tokens the same way SQLite's FTS5 (unicode61, remove_diacritics 2) does, so both
-- dialects find and rank the same prospects for the same words. Postgres' parser keeps
-- "ava.thompson@northwind.io", "northwind.io" and "mid-market" as single tokens, and the
-- 'simple' configuration keeps accents: "thompson", "northwind" or "garcia" found nothing in an
-- email, a host or "García". prospects_search_text lowercases, folds the accented Latin letters
-- NFD decomposes (the ones remove_diacritics folds) and turns punctuation into spaces.

CREATE FUNCTION prospects_search_text(value text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT regexp_replace(
    translate(
      lower(coalesce(value, '')),
      'ÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝàáâãäåçèéêëìíîïñòóôõöùúûüýÿĀāĂăĄąĆćĈĉĊċČčĎďĒēĔĕĖėĘęĚěĜĝĞğĠġĢģĤĥĨĩĪīĬĭĮįİĴĵĶķĹĺĻļĽľŃńŅņŇňŌōŎŏŐőŔŕŖŗŘřŚśŜŝŞşŠšŢţŤťŨũŪūŬŭŮůŰűŲųŴŵŶŷŸŹźŻżŽž',
      'aaaaaaceeeeiiiinooooouuuuyaaaaaaceeeeiiiinooooouuuuyyaaaaaaccccccccddeeeeeeeeeegggggggghhiiiiiiiiijjkkllllllnnnnnnoooooorrrrrrssssssssttttuuuuuuuuuuuuwwyyyzzzzzz'
    ),
    '[[:punct:]]+', ' ', 'g'
  )
$$;

-- Dropping the column drops prospects_search_idx with it.
ALTER TABLE prospects DROP COLUMN search;
ALTER TABLE prospects ADD COLUMN search tsvector GENERATED ALWAYS AS (
  setweight(to_tsvector('simple', prospects_search_text(company)), 'A') ||
  setweight(to_tsvector('simple', prospects_search_text(first_name)), 'A') ||
  setweight(to_tsvector('simple', prospects_search_text(last_name)), 'A') ||
  setweight(to_tsvector('simple', prospects_search_text(email)), 'B') ||
  setweight(to_tsvector('simple', prospects_search_text(title)), 'B') ||
  setweight(to_tsvector('simple', prospects_search_text(notes)), 'C')
) STORED;
CREATE INDEX prospects_search_idx ON prospects USING gin (search);
