import { t } from "elysia";
import type { Page } from "../db/cursor";
import type { ListMeta } from "./envelope";

export const defaultLimit = 20;

/**
 * `limit` 1–100, an integer in the document. Elysia checks the bounds after converting the query
 * string and then reports the error without the field's name; `title` names it (see
 * fieldErrors) and `error` words it.
 */
export const limitQuery = t.Optional(
  t.Integer({
    minimum: 1,
    maximum: 100,
    default: defaultLimit,
    title: "limit",
    error: "Limit must be a whole number between 1 and 100",
  }),
);

export function limitOf(limit: number | undefined): number {
  return limit ?? defaultLimit;
}

/** The contract's list query: `limit` 1–100 (default 20) and an opaque `cursor`. */
export const pageQuery = {
  limit: limitQuery,
  cursor: t.Optional(t.String({ minLength: 1, maxLength: 512 })),
};

export function listMeta(page: Page<unknown>, limit: number): ListMeta {
  return { limit, nextCursor: page.nextCursor, hasMore: page.hasMore };
}
