/**
 * The words of a search, as both full-text indexes tokenize text: accents folded (SQLite's
 * remove_diacritics 2, Postgres' prospects_search_text), lowercased, split on anything that is
 * not a letter or a digit. Splitting that way also drops every FTS5 and tsquery operator
 * (quotes, *, :, &, |, !, parentheses), so a word can be put into either query language as is.
 */
export function searchTerms(q: string): string[] {
  const words = q
    .normalize("NFD")
    .replace(/\p{M}+/gu, "")
    .normalize("NFC")
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((word) => word.length > 0);
  // A repeated word adds nothing to an AND, only work: "a a a …" would be a hundred terms.
  return [...new Set(words)];
}

/** Postgres: every word a prefix, all of them required: "acm:* & corp:*". */
export function toTsQuery(terms: readonly string[]): string {
  return terms.map((term) => `${term}:*`).join(" & ");
}

/** SQLite FTS5: every word a quoted prefix, all of them required: '"acm"* AND "corp"*'. */
export function toFtsMatch(terms: readonly string[]): string {
  return terms.map((term) => `"${term}"*`).join(" AND ");
}

/** What an exact company or email match is compared with: the query as typed, case aside. */
export function exactText(q: string): string {
  return q.trim().replace(/\s+/g, " ").toLowerCase();
}
