import { createOrganizationRepository } from "../modules/organizations/repository";
import { createUserRepository, type Role } from "../modules/users/repository";
import type { Database } from "./database";
import { exclusiveTransaction } from "./exclusive-transaction";
import { seedProspects } from "./seed-prospects";
import { toNumber } from "./values";

export interface SeedOptions {
  /** SEED_*_EMAIL / SEED_*_PASSWORD / SEED_ORGANIZATION come from here; default process.env. */
  env?: Record<string, string | undefined>;
  /** argon2id cost; tests lower it (e.g. { memoryCost: 1024, timeCost: 1 }). Default: Bun's. */
  hash?: { memoryCost?: number; timeCost?: number };
  /** Default 50. */
  prospects?: number;
}

export interface SeedCredential {
  email: string;
  password: string;
  role: Role;
}

export interface SeedResult {
  organizationId: string;
  /** false when the organization already had users and nothing was written. */
  created: boolean;
  /** The accounts created, with their passwords (empty when nothing was written). */
  users: SeedCredential[];
  prospects: number;
}

const roles: Role[] = ["admin", "user", "viewer"];

/**
 * One organization with an admin, a user and a viewer, and demo prospects. Idempotent: an
 * organization of that name that already has users is left as it is.
 */
export async function seedDatabase(db: Database, options: SeedOptions = {}): Promise<SeedResult> {
  const env = options.env ?? process.env;
  const organizationName = env.SEED_ORGANIZATION ?? "Acme Revenue";
  const credentials = roles.map((role) => ({
    role,
    email: env[`SEED_${role.toUpperCase()}_EMAIL`] ?? `${role}@example.com`,
    password: env[`SEED_${role.toUpperCase()}_PASSWORD`] ?? generatePassword(),
  }));
  // Hashing is slow on purpose: do it before taking the lock.
  const hashes = await Promise.all(
    credentials.map((c) => Bun.password.hash(c.password, { algorithm: "argon2id", ...options.hash })),
  );

  return exclusiveTransaction(db, "revenue-api:seed", async (tx) => {
    const organizations = createOrganizationRepository(tx);
    const existing = await organizations.findByName(organizationName);
    if (existing && (await countUsers(tx, existing.id)) > 0) {
      return { organizationId: existing.id, created: false, users: [], prospects: 0 };
    }
    const organization = existing ?? (await organizations.create(organizationName));
    const users = createUserRepository(tx);
    const created = [];
    for (const [i, credential] of credentials.entries()) {
      created.push(
        await users.createUser({
          organizationId: organization.id,
          email: credential.email,
          passwordHash: hashes[i] as string,
          role: credential.role,
        }),
      );
    }
    const owners = created.filter((user) => user.role !== "viewer").map((user) => user.id);
    const prospects = await insertProspects(tx, organization.id, owners, options.prospects ?? 50);
    return { organizationId: organization.id, created: true, users: credentials, prospects };
  });
}

/**
 * For the server in development on the embedded database: seeds a database that has no users
 * at all and logs how to sign in, so a fresh checkout is usable at once.
 */
export async function ensureDevelopmentSeed(
  db: Database,
  log: (line: string) => void,
  options: SeedOptions = {},
): Promise<SeedResult | undefined> {
  const [row] = await db.direct<{ n: unknown }[]>`select count(*) as n from users`;
  if (toNumber(row?.n ?? 0) > 0) return undefined;
  const result = await seedDatabase(db, options);
  if (result.created) for (const line of formatCredentials(result)) log(line);
  return result;
}

/** Lines that show the seeded accounts once; passwords are not stored anywhere else. */
export function formatCredentials(result: SeedResult): string[] {
  const width = Math.max(...result.users.map((user) => user.email.length));
  return [
    `Seeded organization ${result.organizationId} with ${result.prospects} prospects. Sign in with:`,
    ...result.users.map((user) => `  ${user.role.padEnd(6)}  ${user.email.padEnd(width)}  ${user.password}`),
  ];
}

async function countUsers(db: Database, organizationId: string): Promise<number> {
  const [row] = await db.direct<{ n: unknown }[]>`
    select count(*) as n from users where organization_id = ${organizationId}`;
  return toNumber(row?.n ?? 0);
}

async function insertProspects(db: Database, organizationId: string, owners: string[], count: number) {
  const { sql } = db;
  const now = Date.now();
  const prospects = seedProspects(count);
  for (const [i, p] of prospects.entries()) {
    // Spread over the last days so lists sorted by date have something to show.
    const createdAt = new Date(now - (prospects.length - i) * 3_600_000).toISOString();
    await sql`
      insert into prospects (id, organization_id, owner_id, first_name, last_name, email, company,
        title, phone, linkedin_url, status, score, tags, notes, created_at, updated_at)
      values (${Bun.randomUUIDv7()}, ${organizationId}, ${owners[i % owners.length] ?? null},
        ${p.firstName}, ${p.lastName}, ${p.email}, ${p.company}, ${p.title}, ${p.phone},
        ${p.linkedinUrl}, ${p.status}, ${p.score}, ${sql.json(p.tags)}, ${p.notes},
        ${createdAt}, ${createdAt})`;
  }
  return prospects.length;
}

function generatePassword(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(15))).toString("base64url");
}
