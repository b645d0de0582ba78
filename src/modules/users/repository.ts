import { type CursorKey, decodeCursor, type Page, toPage } from "../../db/cursor";
import type { Database } from "../../db/database";
import { toDatabaseError } from "../../db/errors";
import { limitClauses } from "../../db/limit-clause";
import { nowIso, toBool, toIso, toNumber } from "../../db/values";

export type Role = "viewer" | "user" | "admin";

export interface UserRecord {
  id: string;
  organizationId: string;
  email: string;
  passwordHash: string;
  role: Role;
  disabled: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface NewUser {
  organizationId: string;
  email: string;
  passwordHash: string;
  role?: Role;
  disabled?: boolean;
}

export interface UserPatch {
  email?: string;
  role?: Role;
  disabled?: boolean;
  passwordHash?: string;
}

interface UserRow {
  id: string;
  organization_id: string;
  email: string;
  password_hash: string;
  role: Role;
  disabled: unknown;
  created_at: unknown;
  updated_at: unknown;
}

export type UserRepository = ReturnType<typeof createUserRepository>;

/**
 * Users, always within one organization except findByEmail: login knows only the email.
 * Writes that break a constraint throw the mapped AppError (409 on a taken email).
 */
export function createUserRepository(db: Database) {
  const { sql } = db;
  const columns = sql.unsafe("id, organization_id, email, password_hash, role, disabled, created_at, updated_at");
  const limitOf = limitClauses(sql, 1001);

  return {
    async createUser(user: NewUser): Promise<UserRecord> {
      const now = nowIso();
      try {
        const [row] = await sql<UserRow[]>`
          insert into users (id, organization_id, email, password_hash, role, disabled, created_at, updated_at)
          values (${Bun.randomUUIDv7()}, ${user.organizationId}, ${user.email}, ${user.passwordHash},
                  ${user.role ?? "user"}, ${user.disabled ?? false}, ${now}, ${now})
          returning ${columns}`;
        return toUser(row as UserRow);
      } catch (error) {
        throw toDatabaseError(error);
      }
    },

    /** Case-insensitive, across organizations (emails are unique globally). */
    async findByEmail(email: string): Promise<UserRecord | undefined> {
      const [row] = await sql<UserRow[]>`
        select ${columns} from users where lower(email) = lower(${email})`;
      return row ? toUser(row) : undefined;
    },

    async findById(organizationId: string, id: string): Promise<UserRecord | undefined> {
      const [row] = await sql<UserRow[]>`
        select ${columns} from users where organization_id = ${organizationId} and id = ${id}`;
      return row ? toUser(row) : undefined;
    },

    /** Oldest first; `cursor` is the nextCursor of the previous page. */
    async listByOrganization(
      organizationId: string,
      page: { limit: number; cursor?: string },
    ): Promise<Page<UserRecord>> {
      const after = page.cursor ? decodeCursor(page.cursor, ["string", "string"] as const) : undefined;
      const rows = after
        ? await sql<UserRow[]>`
            select ${columns} from users
            where organization_id = ${organizationId} and (created_at, id) > (${after[0]}, ${after[1]})
            order by created_at, id ${limitOf(page.limit + 1)}`
        : await sql<UserRow[]>`
            select ${columns} from users where organization_id = ${organizationId}
            order by created_at, id ${limitOf(page.limit + 1)}`;
      return toPage(rows.map(toUser), page.limit, cursorKey);
    },

    /** Changes only the fields present in patch; undefined when no such user in the organization. */
    async updateUser(organizationId: string, id: string, patch: UserPatch): Promise<UserRecord | undefined> {
      try {
        const [row] = await sql<UserRow[]>`
          update users set
            email = coalesce(${patch.email ?? null}, email),
            role = coalesce(${patch.role ?? null}, role),
            disabled = coalesce(${patch.disabled ?? null}, disabled),
            password_hash = coalesce(${patch.passwordHash ?? null}, password_hash),
            updated_at = ${nowIso()}
          where organization_id = ${organizationId} and id = ${id}
          returning ${columns}`;
        return row ? toUser(row) : undefined;
      } catch (error) {
        throw toDatabaseError(error);
      }
    },

    /** true when a user was deleted; their sessions go with them (cascade). */
    async deleteUser(organizationId: string, id: string): Promise<boolean> {
      const result = await sql`
        delete from users where organization_id = ${organizationId} and id = ${id}`;
      return result.count > 0;
    },

    /** Admins who can still sign in: the last of them must not be demoted, disabled or deleted. */
    async countAdmins(organizationId: string): Promise<number> {
      const [row] = await sql<{ n: unknown }[]>`
        select count(*) as n from users
        where organization_id = ${organizationId} and role = 'admin' and not disabled`;
      return toNumber(row?.n ?? 0);
    },
  };
}

function cursorKey(user: UserRecord): CursorKey {
  return [user.createdAt, user.id];
}

function toUser(row: UserRow): UserRecord {
  return {
    id: row.id,
    organizationId: row.organization_id,
    email: row.email,
    passwordHash: row.password_hash,
    role: row.role,
    disabled: toBool(row.disabled),
    createdAt: toIso(row.created_at),
    updatedAt: toIso(row.updated_at),
  };
}
