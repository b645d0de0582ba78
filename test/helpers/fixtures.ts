import type { App } from "../../src/app";
import type { Database } from "../../src/db/database";
import type { Role } from "../../src/modules/auth/principal";
import { createOrganizationRepository } from "../../src/modules/organizations/repository";
import { createUserRepository } from "../../src/modules/users/repository";

/** Cheap argon2id for tests; production uses config.passwordHash. */
export const cheapHashEnv = { ARGON2_MEMORY_COST: "64", ARGON2_TIME_COST: "1" };
export const testPassword = "correct horse battery";

export interface SeededUser {
  id: string;
  email: string;
  role: Role;
  password: string;
}

export interface SeededOrganization {
  id: string;
  admin: SeededUser;
  user: SeededUser;
  viewer: SeededUser;
}

/** An organization with one user of each role, all with `testPassword`. */
export async function seedOrganization(db: Database, name: string): Promise<SeededOrganization> {
  const organization = await createOrganizationRepository(db).create(name);
  const users = createUserRepository(db);
  const passwordHash = await Bun.password.hash(testPassword, { algorithm: "argon2id", memoryCost: 64, timeCost: 1 });
  const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, "-");
  const make = async (role: Role): Promise<SeededUser> => {
    const email = `${role}@${slug}.example.com`;
    const user = await users.createUser({ organizationId: organization.id, email, passwordHash, role });
    return { id: user.id, email, role, password: testPassword };
  };
  return { id: organization.id, admin: await make("admin"), user: await make("user"), viewer: await make("viewer") };
}

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
}

/** Signs in through the real login route. */
export async function login(app: App, user: { email: string; password: string }): Promise<TokenPair> {
  const response = await app.handle(
    new Request("http://localhost/api/v1/auth/login", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: user.email, password: user.password }),
    }),
  );
  if (response.status !== 200) throw new Error(`login failed: ${response.status} ${await response.text()}`);
  const body = (await response.json()) as { data: TokenPair };
  return { accessToken: body.data.accessToken, refreshToken: body.data.refreshToken };
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

/** JSON request helper: method, path, body, headers. */
export function jsonRequest(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  return new Request(`http://localhost${path}`, {
    method,
    headers: body === undefined ? headers : { "content-type": "application/json", ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/** A response body for assertions; tests read it field by field and compare with toEqual. */
// biome-ignore lint/suspicious/noExplicitAny: assertions on arbitrary JSON shapes
export async function bodyOf(response: Response): Promise<any> {
  return response.json();
}
