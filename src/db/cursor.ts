import { DatabaseInvalidValueError } from "./errors";

/** The sort key of the last row of a page: [createdAt, id], [score, id]… */
export type CursorKey = readonly (string | number)[];

/** An opaque, URL-safe cursor for keyset pagination. */
export function encodeCursor(key: CursorKey): string {
  return Buffer.from(JSON.stringify(key)).toString("base64url");
}

/** A cursor that was tampered with or belongs to another list: a 422 on `cursor` at the HTTP layer. */
export function invalidCursor(detail = "is not a cursor of this list"): DatabaseInvalidValueError {
  return new DatabaseInvalidValueError("Invalid cursor", { field: "cursor", detail });
}

/**
 * The key a cursor holds, checked against the shape the list expects ("string" or "number" per
 * position). A number must be a safe integer: a forged 1e+21 would otherwise reach SQL, where
 * SQLite refuses it as a datatype mismatch and Postgres as out of range.
 */
export function decodeCursor<const Shape extends readonly ("string" | "number")[]>(
  cursor: string,
  shape: Shape,
): { [K in keyof Shape]: Shape[K] extends "number" ? number : string } {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    key = undefined;
  }
  const valid =
    Array.isArray(key) &&
    key.length === shape.length &&
    key.every((value, i) => typeof value === shape[i] && (typeof value !== "number" || Number.isSafeInteger(value)));
  if (!valid) throw invalidCursor();
  return key as { [K in keyof Shape]: Shape[K] extends "number" ? number : string };
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
  hasMore: boolean;
}

/** From limit + 1 rows fetched: the page, and a cursor after its last item when more exist. */
export function toPage<T>(rows: T[], limit: number, keyOf: (item: T) => CursorKey): Page<T> {
  const hasMore = rows.length > limit;
  const items = hasMore ? rows.slice(0, limit) : rows;
  const last = items.at(-1);
  return { items, nextCursor: hasMore && last ? encodeCursor(keyOf(last)) : null, hasMore };
}
