import type { Database } from "../db/database";
import { toNumber } from "../db/values";

/** A row the worker holds: status 'sending', locked until locked_until; `attempts` fences it. */
export interface ClaimedEmail {
  id: string;
  to: string;
  subject: string;
  text: string;
  html: string | null;
  /** Including the attempt under way. */
  attempts: number;
  /** The trace of the request that queued it, sent on as the message's traceparent. */
  traceId: string | null;
}

const claimedColumns = "emails.id, to_address, subject, text_body, html_body, attempts, trace_id";

export type OutboxRepository = ReturnType<typeof createOutboxRepository>;

// biome-ignore lint/suspicious/noExplicitAny: driver rows are untyped records
function toClaimed(row: any): ClaimedEmail {
  return {
    id: row.id,
    to: row.to_address,
    subject: row.subject,
    text: row.text_body,
    html: row.html_body ?? null,
    attempts: toNumber(row.attempts),
    traceId: row.trace_id ?? null,
  };
}

/**
 * The worker's queries. Every write after the claim carries the claimed `attempts` value: if a
 * lock ran out and another worker claimed the row again, the late write matches nothing.
 */
export function createOutboxRepository(db: Database) {
  const { sql } = db;
  return {
    /**
     * Takes up to `limit` due rows in one statement. Postgres: SKIP LOCKED lets instances claim
     * side by side without waiting or sharing a row; the CTE is MATERIALIZED because as an
     * `IN (subquery)` the planner may re-run the locking subquery per outer row, and each re-run
     * skips the rows this statement already changed and takes the next ones, ignoring LIMIT.
     * SQLite: one UPDATE is one write transaction, and writers take turns.
     */
    async claim(limit: number, now: Date, lockMs: number): Promise<ClaimedEmail[]> {
      const at = now.toISOString();
      const until = new Date(now.getTime() + lockMs).toISOString();
      const rows =
        db.dialect === "postgres"
          ? await sql`
              WITH due AS MATERIALIZED (
                SELECT id FROM emails WHERE status = 'queued' AND next_attempt_at <= ${at}
                ORDER BY next_attempt_at, id LIMIT ${limit} FOR UPDATE SKIP LOCKED)
              UPDATE emails SET status = 'sending', locked_until = ${until}, attempts = attempts + 1, updated_at = ${at}
              FROM due WHERE emails.id = due.id
              RETURNING ${sql.unsafe(claimedColumns)}`
          : await sql`
              UPDATE emails SET status = 'sending', locked_until = ${until}, attempts = attempts + 1, updated_at = ${at}
              WHERE id IN (
                SELECT id FROM emails WHERE status = 'queued' AND next_attempt_at <= ${at}
                ORDER BY next_attempt_at, id LIMIT ${limit})
              RETURNING ${sql.unsafe(claimedColumns)}`;
      return rows.map(toClaimed);
    },

    /**
     * Rows whose worker died mid-send go back to the queue, or fail when they have used every
     * attempt. The message may have left before the crash: delivery is at least once.
     */
    async releaseExpired(now: Date, maxAttempts: number): Promise<number> {
      const at = now.toISOString();
      const rows = await sql`
        UPDATE emails SET
          status = CASE WHEN attempts >= ${maxAttempts} THEN 'failed' ELSE 'queued' END,
          last_error = CASE WHEN attempts >= ${maxAttempts} THEN 'delivery was interrupted' ELSE last_error END,
          locked_until = NULL, next_attempt_at = ${at}, updated_at = ${at}
        WHERE status = 'sending' AND locked_until < ${at}
        RETURNING id`;
      return rows.length;
    },

    async markSent(email: ClaimedEmail, messageId: string, now: Date): Promise<void> {
      const at = now.toISOString();
      await sql`
        UPDATE emails SET status = 'sent', sent_at = ${at}, message_id = ${messageId}, last_error = NULL,
          locked_until = NULL, updated_at = ${at}
        WHERE id = ${email.id} AND status = 'sending' AND attempts = ${email.attempts}`;
    },

    async retryLater(email: ClaimedEmail, error: string, nextAttemptAt: Date, now: Date): Promise<void> {
      await sql`
        UPDATE emails SET status = 'queued', last_error = ${error}, next_attempt_at = ${nextAttemptAt.toISOString()},
          locked_until = NULL, updated_at = ${now.toISOString()}
        WHERE id = ${email.id} AND status = 'sending' AND attempts = ${email.attempts}`;
    },

    async markFailed(email: ClaimedEmail, error: string, now: Date): Promise<void> {
      await sql`
        UPDATE emails SET status = 'failed', last_error = ${error}, locked_until = NULL, updated_at = ${now.toISOString()}
        WHERE id = ${email.id} AND status = 'sending' AND attempts = ${email.attempts}`;
    },
  };
}
