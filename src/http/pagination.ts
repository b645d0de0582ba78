import { t } from "elysia";
import type { Page } from "../db/cursor";
import type { ListMeta } from "./envelope";

/** The contract's list query: `limit` 1–100 (default 20) and an opaque `cursor`. */
export const pageQuery = {
  limit: t.Optional(t.Integer({ minimum: 1, maximum: 100 })),
  cursor: t.Optional(t.String({ minLength: 1, maxLength: 512 })),
};

export const defaultLimit = 20;

export function listMeta(page: Page<unknown>, limit: number): ListMeta {
  return { limit, nextCursor: page.nextCursor, hasMore: page.hasMore };
}
