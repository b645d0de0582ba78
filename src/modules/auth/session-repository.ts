import type { Database } from "../../db/database";
import { toBool, toIso, toIsoOrNull } from "../../db/values";
import type { Role } from "./principal";

export interface SessionWithUser {
  id: string;
  userId: string;
  refreshJti: string;
  expiresAt: string;
  revokedAt: string | null;
  organizationId: string;
  email: string;
  role: Role;
  disabled: boolean;
}

export type SessionRepository = ReturnType<typeof createSessionRepository>;

export function createSessionRepository(db: Database) {
  const { sql } = db;
  return {
    async create(input: { id: string; userId: string; refreshJti: string; expiresAt: string }): Promise<void> {
      const now = new Date().toISOString();
      await sql`
        INSERT INTO sessions (id, user_id, refresh_jti, created_at, last_used_at, expires_at)
        VALUES (${input.id}, ${input.userId}, ${input.refreshJti}, ${now}, ${now}, ${input.expiresAt})`;
    },

    /** The session with what a principal needs of its user, in one query. */
    async findWithUser(id: string): Promise<SessionWithUser | undefined> {
      const rows = await sql`
        SELECT s.id, s.user_id, s.refresh_jti, s.expires_at, s.revoked_at,
               u.organization_id, u.email, u.role, u.disabled
        FROM sessions s JOIN users u ON u.id = s.user_id
        WHERE s.id = ${id}`;
      const row = rows[0];
      if (!row) return undefined;
      return {
        id: row.id,
        userId: row.user_id,
        refreshJti: row.refresh_jti,
        expiresAt: toIso(row.expires_at),
        revokedAt: toIsoOrNull(row.revoked_at),
        organizationId: row.organization_id,
        email: row.email,
        role: row.role,
        disabled: toBool(row.disabled),
      };
    },

    /** Compare-and-set on the current refresh token id, so two concurrent refreshes cannot both win. */
    async rotate(id: string, currentJti: string, nextJti: string): Promise<boolean> {
      const now = new Date().toISOString();
      const rows = await sql`
        UPDATE sessions SET refresh_jti = ${nextJti}, last_used_at = ${now}
        WHERE id = ${id} AND refresh_jti = ${currentJti} AND revoked_at IS NULL
        RETURNING id`;
      return rows.length === 1;
    },

    async revoke(id: string, reason: string): Promise<boolean> {
      const rows = await sql`
        UPDATE sessions SET revoked_at = ${new Date().toISOString()}, revoked_reason = ${reason}
        WHERE id = ${id} AND revoked_at IS NULL
        RETURNING id`;
      return rows.length === 1;
    },

    /** Revokes every live session of a user; returns their ids so caches can forget them. */
    async revokeAllForUser(userId: string, reason: string): Promise<string[]> {
      const rows = await sql`
        UPDATE sessions SET revoked_at = ${new Date().toISOString()}, revoked_reason = ${reason}
        WHERE user_id = ${userId} AND revoked_at IS NULL
        RETURNING id`;
      return rows.map((row: { id: string }) => row.id);
    },
  };
}
