-- prospects_search_text (002) spent most of its time in translate(), which walks its list of
-- accented letters for every character of the value: ~145 µs of Postgres' CPU for the six fields of
-- one prospect, on every insert and on every update (the search column is generated from them), of
-- ~600 in all. A value whose bytes are all ASCII (as many names, emails and notes are) holds none of
-- those letters, and translate() would return it unchanged: it skips the walk. The result is the
-- same for every value, so the stored search column and its index stay as they are.
CREATE OR REPLACE FUNCTION prospects_search_text(value text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT regexp_replace(
    CASE
      -- NULL goes to the ELSE branch, which makes it ''.
      WHEN octet_length(value) = char_length(value) THEN lower(value)
      ELSE translate(
        lower(coalesce(value, '')),
        'ÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝàáâãäåçèéêëìíîïñòóôõöùúûüýÿĀāĂăĄąĆćĈĉĊċČčĎďĒēĔĕĖėĘęĚěĜĝĞğĠġĢģĤĥĨĩĪīĬĭĮįİĴĵĶķĹĺĻļĽľŃńŅņŇňŌōŎŏŐőŔŕŖŗŘřŚśŜŝŞşŠšŢţŤťŨũŪūŬŭŮůŰűŲųŴŵŶŷŸŹźŻżŽž',
        'aaaaaaceeeeiiiinooooouuuuyaaaaaaceeeeiiiinooooouuuuyyaaaaaaccccccccddeeeeeeeeeegggggggghhiiiiiiiiijjkkllllllnnnnnnoooooorrrrrrssssssssttttuuuuuuuuuuuuwwyyyzzzzzz'
      )
    END,
    '[[:punct:]]+', ' ', 'g'
  )
$$;
