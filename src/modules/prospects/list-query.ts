import { type CursorKey, decodeCursor } from "../../db/cursor";
import { httpError } from "../../http/errors";
import type { ListProspectsQuery, ProspectSort } from "./model";
import type { ProspectFilter, ProspectOrder, ProspectRecord } from "./repository";

const isoMillis = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const badCursor = () => httpError(422, "Invalid cursor", { details: { cursor: ["is not a cursor of this list"] } });

/**
 * The keyset order of a `sort` value. A cursor carries the sort it was made for, so a cursor
 * from another sort (createdAt vs -createdAt share a shape) is refused rather than misread, and
 * its values are checked before they reach SQL, where a malformed one would be a 500.
 */
export function orderOf(sort: ProspectSort, cursor: string | undefined): ProspectOrder {
  const column = sort.endsWith("score") ? "score" : "created_at";
  const descending = sort.startsWith("-");
  if (cursor === undefined) return { column, descending };
  if (column === "score") {
    const [name, score, id] = decodeCursor(cursor, ["string", "number", "string"] as const);
    if (name !== sort || !Number.isInteger(score)) throw badCursor();
    return { column, descending, after: [score, id] };
  }
  const [name, createdAt, id] = decodeCursor(cursor, ["string", "string", "string"] as const);
  if (name !== sort || !isoMillis.test(createdAt) || Number.isNaN(Date.parse(createdAt))) throw badCursor();
  return { column, descending, after: [createdAt, id] };
}

/** What a cursor after this prospect holds: the sort, the sort column's value, the id. */
export function cursorKeyOf(sort: ProspectSort): (prospect: ProspectRecord) => CursorKey {
  return sort.endsWith("score")
    ? (prospect) => [sort, prospect.score, prospect.id]
    : (prospect) => [sort, prospect.createdAt, prospect.id];
}

/** Filters with dates normalised to the stored form (UTC, milliseconds), so text order is time order on SQLite. */
export function filterOf(query: ListProspectsQuery): ProspectFilter {
  const createdAfter = query.createdAfter === undefined ? undefined : new Date(query.createdAfter).toISOString();
  const createdBefore = query.createdBefore === undefined ? undefined : new Date(query.createdBefore).toISOString();
  if (createdAfter !== undefined && createdBefore !== undefined && createdBefore <= createdAfter) {
    throw httpError(422, "Validation failed", {
      details: { createdBefore: ["Created before must be later than created after"] },
    });
  }
  return { status: query.status, ownerId: query.ownerId, tag: query.tag, createdAfter, createdBefore };
}
