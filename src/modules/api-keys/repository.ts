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
    async findActiveByHash(keyHash: string): Promise<ApiKeyRecord | undefined> {
      const rows = await sql`
        SELECT ${sql.unsafe(columns)} FROM api_keys WHERE key_hash = ${keyHash} AND revoked_at IS NULL`;
      return rows[0] ? toRecord(rows[0]) : undefined;
    },

    /** Newest first, keyset-paginated on (created_at, id). */
    async list(
      organizationId: string,
      page: { limit: number; after?: { createdAt: string; id: string } },
    ): Promise<ApiKeyRecord[]> {
      const after = page.after;
      const rows = after
        ? await sql`
            SELECT ${sql.unsafe(columns)} FROM api_keys
            WHERE organization_id = ${organizationId} AND revoked_at IS NULL
              AND (created_at < ${after.createdAt} OR (created_at = ${after.createdAt} AND id < ${after.id}))
            ORDER BY created_at DESC, id DESC LIMIT ${page.limit + 1}`
        : await sql`
            SELECT ${sql.unsafe(columns)} FROM api_keys
            WHERE organization_id = ${organizationId} AND revoked_at IS NULL
            ORDER BY created_at DESC, id DESC LIMIT ${page.limit + 1}`;
      return rows.map(toRecord);
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
