import type { App } from "../../src/app";
import type { Database, Dialect } from "../../src/db/database";
import { buildTestApp } from "../helpers/app";
import { createTestDatabase, type TestDatabase } from "../helpers/database";
import {
  bearer,
  cheapHashEnv,
  jsonRequest,
  login,
  type SeededOrganization,
  seedOrganization,
} from "../helpers/fixtures";

export interface ProspectsSetup {
  database: TestDatabase;
  app: App;
  org: SeededOrganization;
  other: SeededOrganization;
  /** Authorization headers of the organization's admin, user and viewer, and of the other organization's user. */
  as: {
    admin: Record<string, string>;
    user: Record<string, string>;
    viewer: Record<string, string>;
    other: Record<string, string>;
  };
  /** A JSON request through the app. */
  call(method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<Response>;
}

/** A migrated database with two organizations, signed-in callers of each role, and the app on it. */
export async function setupProspects(dialect: Dialect, env: Record<string, string> = {}): Promise<ProspectsSetup> {
  const database = await createTestDatabase(dialect);
  const { app } = buildTestApp({ env: { ...cheapHashEnv, ...env }, deps: { db: database.db } });
  const org = await seedOrganization(database.db, "Acme");
  const other = await seedOrganization(database.db, "Globex");
  const [admin, user, viewer, otherUser] = await Promise.all(
    [org.admin, org.user, org.viewer, other.user].map((who) => login(app, who)),
  );
  const header = (tokens: { accessToken: string } | undefined) => bearer(tokens?.accessToken ?? "");
  return {
    database,
    app,
    org,
    other,
    as: { admin: header(admin), user: header(user), viewer: header(viewer), other: header(otherUser) },
    call: (method, path, headers, body) => app.handle(jsonRequest(method, path, body, headers)),
  };
}

export interface ProspectSeed {
  id?: string;
  email: string;
  firstName?: string | null;
  lastName?: string | null;
  company?: string | null;
  title?: string | null;
  notes?: string | null;
  status?: string;
  score?: number;
  tags?: string[];
  ownerId?: string | null;
  createdAt?: string;
}

/**
 * Inserts rows straight into prospects, a few multi-row INSERTs at a time (1,000 rows each keeps
 * under both dialects' parameter limits): fixtures of thousands without thousands of requests.
 */
export async function insertProspects(db: Database, organizationId: string, seeds: ProspectSeed[]): Promise<void> {
  const { sql } = db;
  const now = new Date().toISOString();
  for (let start = 0; start < seeds.length; start += 1000) {
    const rows = seeds.slice(start, start + 1000).map((seed) => ({
      id: seed.id ?? Bun.randomUUIDv7(),
      organization_id: organizationId,
      owner_id: seed.ownerId ?? null,
      first_name: seed.firstName ?? null,
      last_name: seed.lastName ?? null,
      email: seed.email,
      company: seed.company ?? null,
      title: seed.title ?? null,
      notes: seed.notes ?? null,
      status: seed.status ?? "new",
      score: seed.score ?? 0,
      tags: JSON.stringify(seed.tags ?? []),
      created_at: seed.createdAt ?? now,
      updated_at: seed.createdAt ?? now,
    }));
    if (db.dialect === "postgres") {
      await sql`insert into prospects ${sql(rows.map((row) => ({ ...row, tags: sql.json(JSON.parse(row.tags)) })))}`;
    } else {
      await sql`insert into prospects ${sql(rows)}`;
    }
  }
}

export async function json<T = Record<string, unknown>>(response: Response): Promise<T> {
  return (await response.json()) as T;
}
