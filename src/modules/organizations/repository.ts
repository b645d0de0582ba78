import type { Database } from "../../db/database";
import { toDatabaseError } from "../../db/errors";
import { nowIso, toIso } from "../../db/values";

export interface OrganizationRecord {
  id: string;
  name: string;
  createdAt: string;
}

interface OrganizationRow {
  id: string;
  name: string;
  created_at: unknown;
}

export type OrganizationRepository = ReturnType<typeof createOrganizationRepository>;

export function createOrganizationRepository(db: Database) {
  const { sql } = db;
  return {
    async create(name: string): Promise<OrganizationRecord> {
      try {
        const [row] = await sql<OrganizationRow[]>`
          insert into organizations (id, name, created_at)
          values (${Bun.randomUUIDv7()}, ${name}, ${nowIso()})
          returning id, name, created_at`;
        return toOrganization(row as OrganizationRow);
      } catch (error) {
        throw toDatabaseError(error);
      }
    },

    async findById(id: string): Promise<OrganizationRecord | undefined> {
      const [row] = await sql<OrganizationRow[]>`
        select id, name, created_at from organizations where id = ${id}`;
      return row ? toOrganization(row) : undefined;
    },

    /** Names are not unique across tenants: the oldest organization of that exact name. */
    async findByName(name: string): Promise<OrganizationRecord | undefined> {
      const [row] = await sql<OrganizationRow[]>`
        select id, name, created_at from organizations where name = ${name}
        order by created_at, id limit 1`;
      return row ? toOrganization(row) : undefined;
    },
  };
}

function toOrganization(row: OrganizationRow): OrganizationRecord {
  return { id: row.id, name: row.name, createdAt: toIso(row.created_at) };
}
