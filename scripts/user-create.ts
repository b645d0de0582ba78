/**
 * npm run user:create -- --email a@b.co --password '…' --role admin --organization "Acme"
 * Creates the user, and the organization when no organization has that name. Bad input or a
 * taken email: one line on stderr, exit 1.
 */
import { parseArgs } from "node:util";
import { openDatabase } from "../src/db/database";
import { describeScriptError, ensureMigrated, loadDatabaseConfig } from "../src/db/script-config";
import { createOrganizationRepository } from "../src/modules/organizations/repository";
import { createUserRepository, type Role } from "../src/modules/users/repository";

const roles: Role[] = ["viewer", "user", "admin"];

class InputError extends Error {}

function readInput() {
  const { values } = parseArgs({
    options: {
      email: { type: "string" },
      password: { type: "string" },
      role: { type: "string", default: "user" },
      organization: { type: "string" },
    },
    strict: true,
  });
  const email = values.email?.trim() ?? "";
  const password = values.password ?? "";
  const role = values.role as Role;
  const organization = values.organization?.trim() ?? "";
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) {
    throw new InputError(`--email: "${email}" is not an email address`);
  }
  if (password.length < 8) throw new InputError("--password: must be at least 8 characters");
  if (!roles.includes(role)) throw new InputError(`--role: must be one of ${roles.join(", ")}`);
  if (organization === "") throw new InputError("--organization: the organization's name is required");
  return { email, password, role, organization };
}

try {
  const input = readInput();
  const config = loadDatabaseConfig();
  const db = openDatabase(config.databaseUrl, { poolMax: 1, prepare: config.dbPrepare });
  try {
    await ensureMigrated(db, config);
    const users = createUserRepository(db);
    if (await users.findByEmail(input.email)) {
      throw new InputError(`--email: a user with email ${input.email} already exists`);
    }
    const passwordHash = await Bun.password.hash(input.password, { algorithm: "argon2id" });
    const organizations = createOrganizationRepository(db);
    const organization =
      (await organizations.findByName(input.organization)) ?? (await organizations.create(input.organization));
    const user = await users.createUser({
      organizationId: organization.id,
      email: input.email,
      passwordHash,
      role: input.role,
    });
    console.log(`Created ${user.role} ${user.email} (${user.id}) in "${organization.name}" (${organization.id}).`);
  } finally {
    await db.close();
  }
} catch (error) {
  console.error(`error: ${error instanceof InputError ? error.message : describeScriptError(error)}`);
  process.exitCode = 1;
}
