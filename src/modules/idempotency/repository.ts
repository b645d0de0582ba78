import type { Database } from "../../db/database";
import { toIso, toNumber } from "../../db/values";

export interface IdempotencyRecord {
  requestHash: string;
  /** null while the first request is still running. */
  statusCode: number | null;
  responseBody: string | null;
  createdAt: string;
}

interface IdempotencyRow {
  request_hash: string;
  status_code: unknown;
  response_body: string | null;
  created_at: unknown;
}

export type IdempotencyRepository = ReturnType<typeof createIdempotencyRepository>;

/**
 * idempotency_keys rows, one per (principal, key). A row is created as a reservation (no status)
 * and completed with the response; `createdAt` identifies one reservation, so that a request
 * only completes or releases its own and never one that replaced it.
 */
export function createIdempotencyRepository(db: Database) {
  const { sql } = db;
  return {
    /** true when this call made the reservation; false when the key already has a row. */
    async reserve(principal: string, key: string, requestHash: string, createdAt: string): Promise<boolean> {
      const rows = await sql`
        insert into idempotency_keys (principal, key, request_hash, created_at)
        values (${principal}, ${key}, ${requestHash}, ${createdAt})
        on conflict (principal, key) do nothing
        returning key`;
      return rows.length > 0;
    },

    async find(principal: string, key: string): Promise<IdempotencyRecord | undefined> {
      const [row] = await sql<IdempotencyRow[]>`
        select request_hash, status_code, response_body, created_at from idempotency_keys
        where principal = ${principal} and key = ${key}`;
      if (!row) return undefined;
      return {
        requestHash: row.request_hash,
        statusCode: row.status_code === null ? null : toNumber(row.status_code),
        responseBody: row.response_body,
        createdAt: toIso(row.created_at),
      };
    },

    /** Stores the response on this reservation; false when the reservation is gone. */
    async complete(
      principal: string,
      key: string,
      createdAt: string,
      response: { status: number; body: string },
    ): Promise<boolean> {
      const result = await sql`
        update idempotency_keys set status_code = ${response.status}, response_body = ${response.body}
        where principal = ${principal} and key = ${key} and created_at = ${createdAt} and status_code is null`;
      return result.count > 0;
    },

    /** Removes one reservation or record, identified by its createdAt. */
    async remove(principal: string, key: string, createdAt: string): Promise<void> {
      await sql`
        delete from idempotency_keys
        where principal = ${principal} and key = ${key} and created_at = ${createdAt}`;
    },

    /** Deletes up to `batch` keys created before `before`; returns how many. */
    async deleteExpired(before: string, batch: number): Promise<number> {
      const result = await sql`
        delete from idempotency_keys where (principal, key) in (
          select principal, key from idempotency_keys where created_at < ${before} limit ${batch})`;
      return result.count;
    },
  };
}
