import { t } from "elysia";
import type { Page } from "../db/cursor";
import type { ListMeta } from "./envelope";

export const defaultLimit = 20;

/**
 * `limit` as a pattern-checked string: Elysia re-validates a numeric query value on its own after
 * converting it and loses the field name, so a bad `t.Integer` limit would be reported as
 * "property". limitOf() turns it into a number.
 */
export const limitQuery = t.Optional(
  t.String({ pattern: "^([1-9][0-9]?|100)$", error: "Limit must be a whole number between 1 and 100" }),
);

export function limitOf(limit: string | undefined): number {
  return limit === undefined ? defaultLimit : Number(limit);
}

/** The contract's list query: `limit` 1–100 (default 20) and an opaque `cursor`. */
export const pageQuery = {
  limit: limitQuery,
  cursor: t.Optional(t.String({ minLength: 1, maxLength: 512 })),
};

export function listMeta(page: Page<unknown>, limit: number): ListMeta {
  return { limit, nextCursor: page.nextCursor, hasMore: page.hasMore };
}
