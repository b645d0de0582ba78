import { SQL } from "bun";
import { openDatabase } from "../src/db/database";
import { migrate } from "../src/db/migrate";
import { seedDatabase } from "../src/db/seed";
import { seedProspects } from "../src/db/seed-prospects";

export interface BenchDatabase {
  name: string;
  url: string;
  /** Drops the database (connections are closed by force). */
  drop(): Promise<void>;
}

export interface SeededAccounts {
  organizationId: string;
  admin: { email: string; password: string };
  user: { email: string; password: string };
  prospects: number;
}

/** A fresh Postgres database for one run, `bench_<timestamp>`, on the local server. */
export async function createBenchDatabase(adminUrl: string, stamp: string): Promise<BenchDatabase> {
  const name = `bench_${stamp.replace(/[^0-9a-z]/gi, "").toLowerCase()}`;
  const admin = new SQL(adminUrl, { max: 1, connectionTimeout: 5 });
  try {
    await admin.unsafe(`CREATE DATABASE ${name}`);
  } finally {
    await admin.close();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    async drop() {
      const cleanup = new SQL(adminUrl, { max: 1 });
      try {
        await cleanup.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await cleanup.close();
      }
    },
  };
}

const batchSize = 500;

/**
 * Migrates, seeds the organization with its admin and user through src/db/seed.ts (real argon2id
 * hashes at production cost), then adds `prospects` prospects in multi-row INSERTs.
 */
export async function seedBenchDatabase(url: string, prospects: number): Promise<SeededAccounts> {
  const db = openDatabase(url, { poolMax: 2 });
  try {
    await migrate(db);
    const seeded = await seedDatabase(db, { env: { SEED_ORGANIZATION: "Bench Org" }, prospects: 0 });
    const credential = (role: string) => {
      const found = seeded.users.find((u) => u.role === role);
      if (!found) throw new Error(`the seed created no ${role}`);
      return { email: found.email, password: found.password };
    };
    const [owner] = await db.sql<{ id: string }[]>`select id from users where organization_id = ${seeded.organizationId}
      and role = 'user'`;
    const people = seedProspects(prospects);
    const now = Date.now();
    for (let start = 0; start < people.length; start += batchSize) {
      const rows = people.slice(start, start + batchSize).map((p, offset) => {
        const createdAt = new Date(now - (people.length - start - offset) * 1000).toISOString();
        return [
          Bun.randomUUIDv7(),
          seeded.organizationId,
          owner?.id ?? null,
          p.firstName,
          p.lastName,
          p.email,
          p.company,
          p.title,
          p.phone,
          p.linkedinUrl,
          p.status,
          p.score,
          JSON.stringify(p.tags),
          p.notes,
          createdAt,
          createdAt,
        ];
      });
      await db.sql.unsafe(insertProspects(rows.length), rows.flat());
    }
    await db.sql`analyze prospects`;
    return {
      organizationId: seeded.organizationId,
      admin: credential("admin"),
      user: credential("user"),
      prospects: people.length,
    };
  } finally {
    await db.close();
  }
}

const prospectColumns = [
  "id",
  "organization_id",
  "owner_id",
  "first_name",
  "last_name",
  "email",
  "company",
  "title",
  "phone",
  "linkedin_url",
  "status",
  "score",
  "tags",
  "notes",
  "created_at",
  "updated_at",
];

/** `insert … values ($1, …), ($17, …)` for `count` rows; tags are JSON text cast to jsonb. */
function insertProspects(count: number): string {
  const width = prospectColumns.length;
  const tuples = Array.from({ length: count }, (_, row) => {
    const cells = prospectColumns.map((column, i) => {
      const placeholder = `$${row * width + i + 1}`;
      return column === "tags"
        ? `${placeholder}::text::jsonb`
        : column === "score"
          ? `${placeholder}::int`
          : placeholder;
    });
    return `(${cells.join(", ")})`;
  });
  return `insert into prospects (${prospectColumns.join(", ")}) values ${tuples.join(", ")}`;
}
