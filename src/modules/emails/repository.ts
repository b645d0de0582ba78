import type { Database } from "../../db/database";
import { toIso, toIsoOrNull, toNumber } from "../../db/values";

export type EmailStatus = "queued" | "sending" | "sent" | "failed";

export interface EmailRecord {
  id: string;
  organizationId: string;
  prospectId: string;
  to: string;
  subject: string;
  text: string;
  html: string | null;
  status: EmailStatus;
  attempts: number;
  lastError: string | null;
  messageId: string | null;
  nextAttemptAt: string;
  sentAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface NewEmail {
  id: string;
  organizationId: string;
  prospectId: string;
  createdBy: string | null;
  apiKeyId: string | null;
  to: string;
  subject: string;
  text: string;
  html: string | null;
  /** W3C trace id of the request that queued it. */
  traceId: string | null;
}

export type EmailRepository = ReturnType<typeof createEmailRepository>;

// biome-ignore lint/suspicious/noExplicitAny: driver rows are untyped records
function toRecord(row: any): EmailRecord {
  return {
    id: row.id,
    organizationId: row.organization_id,
    prospectId: row.prospect_id,
    to: row.to_address,
    subject: row.subject,
    text: row.text_body,
    html: row.html_body ?? null,
    status: row.status,
    attempts: toNumber(row.attempts),
    lastError: row.last_error ?? null,
    messageId: row.message_id ?? null,
    nextAttemptAt: toIso(row.next_attempt_at),
    sentAt: toIsoOrNull(row.sent_at),
    createdAt: toIso(row.created_at),
    updatedAt: toIso(row.updated_at),
  };
}

const columns =
  "id, organization_id, prospect_id, to_address, subject, text_body, html_body, status, attempts, last_error, " +
  "message_id, next_attempt_at, sent_at, created_at, updated_at";

export function createEmailRepository(db: Database) {
  const { sql } = db;
  return {
    /** Queued and due now: the worker picks it up on its next poll. */
    async create(input: NewEmail): Promise<EmailRecord> {
      const now = new Date().toISOString();
      const rows = await sql`
        INSERT INTO emails (id, organization_id, prospect_id, created_by, api_key_id, to_address, subject, text_body,
                            html_body, status, attempts, next_attempt_at, created_at, updated_at, trace_id)
        VALUES (${input.id}, ${input.organizationId}, ${input.prospectId}, ${input.createdBy}, ${input.apiKeyId},
                ${input.to}, ${input.subject}, ${input.text}, ${input.html}, 'queued', 0, ${now}, ${now}, ${now},
                ${input.traceId})
        RETURNING ${sql.unsafe(columns)}`;
      return toRecord(rows[0]);
    },

    async findById(organizationId: string, id: string): Promise<EmailRecord | undefined> {
      const rows = await sql`
        SELECT ${sql.unsafe(columns)} FROM emails WHERE organization_id = ${organizationId} AND id = ${id}`;
      return rows[0] ? toRecord(rows[0]) : undefined;
    },

    /** Newest first, keyset-paginated on (created_at, id); optionally one prospect's. */
    async list(
      organizationId: string,
      page: { limit: number; prospectId?: string; after?: { createdAt: string; id: string } },
    ): Promise<EmailRecord[]> {
      const { prospectId, after } = page;
      const ofProspect = prospectId ? sql`AND prospect_id = ${prospectId}` : sql``;
      const afterCursor = after
        ? sql`AND (created_at < ${after.createdAt} OR (created_at = ${after.createdAt} AND id < ${after.id}))`
        : sql``;
      const rows = await sql`
        SELECT ${sql.unsafe(columns)} FROM emails
        WHERE organization_id = ${organizationId} ${ofProspect} ${afterCursor}
        ORDER BY created_at DESC, id DESC LIMIT ${page.limit + 1}`;
      return rows.map(toRecord);
    },

    /**
     * The recipient of a new email. Scoped to the organization: another organization's prospect
     * is not found, like a missing one. (Kept here until the prospects module offers a lookup.)
     */
    async findProspectEmail(organizationId: string, prospectId: string): Promise<string | undefined> {
      const rows = await sql`
        SELECT email FROM prospects WHERE organization_id = ${organizationId} AND id = ${prospectId}`;
      return rows[0]?.email;
    },
  };
}
