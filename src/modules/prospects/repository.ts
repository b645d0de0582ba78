import type { SQL } from "bun";
import { type Page, toPage } from "../../db/cursor";
import type { Database } from "../../db/database";
import { toDatabaseError } from "../../db/errors";
import { limitClauses } from "../../db/limit-clause";
import { parseJson, toIso, toNumber } from "../../db/values";
import type { ProspectStatus } from "./model";

export interface ProspectRecord {
  id: string;
  organizationId: string;
  ownerId: string | null;
  firstName: string | null;
  lastName: string | null;
  email: string;
  company: string | null;
  title: string | null;
  phone: string | null;
  linkedinUrl: string | null;
  status: ProspectStatus;
  score: number;
  tags: string[];
  notes: string | null;
  createdAt: string;
  updatedAt: string;
}

/** The fields a client may write; undefined means "leave as it is", null clears. */
export type ProspectFields = Partial<Omit<ProspectRecord, "id" | "organizationId" | "createdAt" | "updatedAt">>;

export interface ProspectFilter {
  status?: ProspectStatus;
  ownerId?: string;
  tag?: string;
  /** Inclusive, ISO with milliseconds. */
  createdAfter?: string;
  /** Exclusive, ISO with milliseconds. */
  createdBefore?: string;
}

/** One keyset order: a column, a direction, and where the previous page ended. */
export interface ProspectOrder {
  column: "created_at" | "score";
  descending: boolean;
  after?: readonly [string | number, string];
}

export type ProspectRepository = ReturnType<typeof createProspectRepository>;

export const prospectColumns =
  "id, organization_id, owner_id, first_name, last_name, email, company, title, phone, linkedin_url, " +
  "status, score, tags, notes, created_at, updated_at";

const columnOf: Record<keyof ProspectFields, string> = {
  ownerId: "owner_id",
  firstName: "first_name",
  lastName: "last_name",
  email: "email",
  company: "company",
  title: "title",
  phone: "phone",
  linkedinUrl: "linkedin_url",
  status: "status",
  score: "score",
  tags: "tags",
  notes: "notes",
};

/** Prospects of one organization: every query is scoped by organization_id. */
export function createProspectRepository(db: Database) {
  const { sql } = db;
  const columns = sql.unsafe(prospectColumns);
  // Fragments made once and shared, as `columns` is: each one Bun's client builds is a whole Query
  // object (~3–4 µs), and a list used to build three per request for no SQL that ever changes.
  const nothing: Fragment = sql``;
  // A page is at most 1,000 rows, and one more is read to know whether another follows.
  const limitOf = limitClauses(sql, 1001);
  const orderings = new Map<string, ReturnType<typeof sql.unsafe>>();
  const orderBy = (column: ProspectOrder["column"], direction: "asc" | "desc") => {
    const text = `${column} ${direction}, id ${direction}`;
    let fragment = orderings.get(text);
    if (!fragment) {
      fragment = sql.unsafe(text);
      orderings.set(text, fragment);
    }
    return fragment;
  };

  return {
    async create(organizationId: string, fields: ProspectFields & { email: string }): Promise<ProspectRecord> {
      const now = new Date().toISOString();
      const row = {
        id: Bun.randomUUIDv7(),
        organization_id: organizationId,
        ...toRow(sql, fields),
        created_at: now,
        updated_at: now,
      };
      try {
        const [created] = await sql<ProspectRow[]>`insert into prospects ${sql(row)} returning ${columns}`;
        return toProspect(created as ProspectRow);
      } catch (error) {
        throw toDatabaseError(error);
      }
    },

    async findById(organizationId: string, id: string): Promise<ProspectRecord | undefined> {
      const [row] = await sql<ProspectRow[]>`
        select ${columns} from prospects where organization_id = ${organizationId} and id = ${id}`;
      return row ? toProspect(row) : undefined;
    },

    /** Changes only the fields present; undefined when there is no such prospect in the organization. */
    async update(organizationId: string, id: string, fields: ProspectFields): Promise<ProspectRecord | undefined> {
      const changes = { ...toRow(sql, fields), updated_at: new Date().toISOString() };
      try {
        const [row] = await sql<ProspectRow[]>`
          update prospects set ${sql(changes)}
          where organization_id = ${organizationId} and id = ${id}
          returning ${columns}`;
        return row ? toProspect(row) : undefined;
      } catch (error) {
        throw toDatabaseError(error);
      }
    },

    async delete(organizationId: string, id: string): Promise<boolean> {
      const result = await sql`delete from prospects where organization_id = ${organizationId} and id = ${id}`;
      return result.count > 0;
    },

    /** One page in keyset order (column, id), limit + 1 rows fetched to know whether more follow. */
    async list(
      organizationId: string,
      filter: ProspectFilter,
      order: ProspectOrder,
      limit: number,
      cursorKey: (prospect: ProspectRecord) => readonly (string | number)[],
    ): Promise<Page<ProspectRecord>> {
      const direction = order.descending ? "desc" : "asc";
      const keyset = order.after
        ? order.descending
          ? sql`and (${sql(order.column)}, id) < (${order.after[0]}, ${order.after[1]})`
          : sql`and (${sql(order.column)}, id) > (${order.after[0]}, ${order.after[1]})`
        : nothing;
      const rows = await sql<ProspectRow[]>`
        select ${columns} from prospects
        where organization_id = ${organizationId} ${filters(db, filter, nothing)} ${keyset}
        order by ${orderBy(order.column, direction)}
        ${limitOf(limit + 1)}`;
      return toPage(rows.map(toProspect), limit, cursorKey);
    },

    /** Whether a user of this organization has this id (a prospect's owner must). */
    async isMember(organizationId: string, userId: string): Promise<boolean> {
      const rows = await sql`select 1 from users where organization_id = ${organizationId} and id = ${userId}`;
      return rows.length > 0;
    },
  };
}

/** An SQL fragment, as `sql\`…\`` makes one. */
type Fragment = ReturnType<Database["sql"]["unsafe"]>;

function filters(db: Database, filter: ProspectFilter, nothing: Fragment): Fragment {
  const { sql } = db;
  const parts = [];
  if (filter.status !== undefined) parts.push(sql`and status = ${filter.status}`);
  if (filter.ownerId !== undefined) parts.push(sql`and owner_id = ${filter.ownerId}`);
  if (filter.tag !== undefined) {
    parts.push(
      db.dialect === "postgres"
        ? sql`and tags @> ${sql.json([filter.tag])}`
        : sql`and exists (select 1 from json_each(prospects.tags) where json_each.value = ${filter.tag})`,
    );
  }
  if (filter.createdAfter !== undefined) parts.push(sql`and created_at >= ${filter.createdAfter}`);
  if (filter.createdBefore !== undefined) parts.push(sql`and created_at < ${filter.createdBefore}`);
  // An empty array would be bound as a value list, not as no SQL at all.
  if (parts.length === 0) return nothing;
  return parts.reduce((joined: Fragment, part) => sql`${joined} ${part}`, nothing);
}

function toRow(sql: SQL, fields: ProspectFields): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(fields) as [keyof ProspectFields, unknown][]) {
    if (value === undefined) continue;
    row[columnOf[field]] = field === "tags" ? sql.json(value) : value;
  }
  return row;
}

export interface ProspectRow {
  id: string;
  organization_id: string;
  owner_id: string | null;
  first_name: string | null;
  last_name: string | null;
  email: string;
  company: string | null;
  title: string | null;
  phone: string | null;
  linkedin_url: string | null;
  status: ProspectStatus;
  score: unknown;
  tags: unknown;
  notes: string | null;
  created_at: unknown;
  updated_at: unknown;
}

export function toProspect(row: ProspectRow): ProspectRecord {
  return {
    id: row.id,
    organizationId: row.organization_id,
    ownerId: row.owner_id,
    firstName: row.first_name,
    lastName: row.last_name,
    email: row.email,
    company: row.company,
    title: row.title,
    phone: row.phone,
    linkedinUrl: row.linkedin_url,
    status: row.status,
    score: toNumber(row.score),
    tags: parseJson<string[]>(row.tags),
    notes: row.notes,
    createdAt: toIso(row.created_at),
    updatedAt: toIso(row.updated_at),
  };
}
