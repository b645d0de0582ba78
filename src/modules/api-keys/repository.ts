import type { Database } from "../../db/database";
import { toIso, toIsoOrNull } from "../../db/values";
import type { Role } from "../auth/principal";

export interface ApiKeyRecord {
  id: string;
  organizationId: string;
  createdBy: string | null;
  name: string;
  prefix: string;
  role: Role;
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
  revokedAt: string | null;
}

/** A key with what its creator is now: null when the creator was deleted (created_by SET NULL). */
export interface ApiKeyWithCreator extends ApiKeyRecord {
  creator: { id: string; email: string; role: Role; disabled: boolean } | null;
}

export type ApiKeyRepository = ReturnType<typeof createApiKeyRepository>;

// biome-ignore lint/suspicious/noExplicitAny: driver rows are untyped records
function toRecord(row: any): ApiKeyRecord {
  return {
    id: row.id,
    organizationId: row.organization_id,
    createdBy: row.created_by,
    name: row.name,
    prefix: row.prefix,
    role: row.role,
    createdAt: toIso(row.created_at),
    lastUsedAt: toIsoOrNull(row.last_used_at),
    expiresAt: toIsoOrNull(row.expires_at),
    revokedAt: toIsoOrNull(row.revoked_at),
  };
}

const columns = "id, organization_id, created_by, name, prefix, role, created_at, last_used_at, expires_at, revoked_at";
const keyColumns = columns
  .split(", ")
  .map((c) => `k.${c}`)
  .join(", ");
// The creator is read with the key every time: a key acts with the lower of its role and theirs.
const withCreator = `${keyColumns}, u.email AS creator_email, u.role AS creator_role, u.disabled AS creator_disabled
  FROM api_keys k LEFT JOIN users u ON u.id = k.created_by`;

// biome-ignore lint/suspicious/noExplicitAny: driver rows are untyped records
function toRecordWithCreator(row: any): ApiKeyWithCreator {
  const record = toRecord(row);
  const creator =
    record.createdBy === null || row.creator_role === null
      ? null
      : {
          id: record.createdBy,
          email: row.creator_email,
          role: row.creator_role,
          disabled: Boolean(row.creator_disabled),
        };
  return { ...record, creator };
}

export function createApiKeyRepository(db: Database) {
  const { sql } = db;
  return {
    async create(input: {
      id: string;
      organizationId: string;
      createdBy: string | null;
      name: string;
      prefix: string;
      keyHash: string;
      role: Role;
      expiresAt: string | null;
    }): Promise<ApiKeyRecord> {
      const rows = await sql`
        INSERT INTO api_keys (id, organization_id, created_by, name, prefix, key_hash, role, created_at, expires_at)
        VALUES (${input.id}, ${input.organizationId}, ${input.createdBy}, ${input.name}, ${input.prefix},
                ${input.keyHash}, ${input.role}, ${new Date().toISOString()}, ${input.expiresAt})
        RETURNING ${sql.unsafe(columns)}`;
      return toRecord(rows[0]);
    },

    /** A key that is not revoked; expiry is the caller's to check against its clock. */
    async findActiveByHash(keyHash: string): Promise<ApiKeyWithCreator | undefined> {
      const rows = await sql`
        SELECT ${sql.unsafe(withCreator)} WHERE k.key_hash = ${keyHash} AND k.revoked_at IS NULL`;
      return rows[0] ? toRecordWithCreator(rows[0]) : undefined;
    },

    async findWithCreator(id: string): Promise<ApiKeyWithCreator | undefined> {
      const rows = await sql`SELECT ${sql.unsafe(withCreator)} WHERE k.id = ${id}`;
      return rows[0] ? toRecordWithCreator(rows[0]) : undefined;
    },

    /** Newest first, keyset-paginated on (created_at, id). */
    async list(
      organizationId: string,
      page: { limit: number; after?: { createdAt: string; id: string } },
    ): Promise<ApiKeyWithCreator[]> {
      const after = page.after;
      const rows = after
        ? await sql`
            SELECT ${sql.unsafe(withCreator)}
            WHERE k.organization_id = ${organizationId} AND k.revoked_at IS NULL
              AND (k.created_at < ${after.createdAt} OR (k.created_at = ${after.createdAt} AND k.id < ${after.id}))
            ORDER BY k.created_at DESC, k.id DESC LIMIT ${page.limit + 1}`
        : await sql`
            SELECT ${sql.unsafe(withCreator)}
            WHERE k.organization_id = ${organizationId} AND k.revoked_at IS NULL
            ORDER BY k.created_at DESC, k.id DESC LIMIT ${page.limit + 1}`;
      return rows.map(toRecordWithCreator);
    },

    async revoke(organizationId: string, id: string): Promise<boolean> {
      const rows = await sql`
        UPDATE api_keys SET revoked_at = ${new Date().toISOString()}
        WHERE id = ${id} AND organization_id = ${organizationId} AND revoked_at IS NULL
        RETURNING id`;
      return rows.length === 1;
    },

    /** One statement per key, in one transaction, from the batched last-used tracker. */
    async touchLastUsed(entries: ReadonlyMap<string, string>): Promise<void> {
      if (entries.size === 0) return;
      await sql.begin(async (tx) => {
        for (const [id, at] of entries) await tx`UPDATE api_keys SET last_used_at = ${at} WHERE id = ${id}`;
      });
    },
  };
}
