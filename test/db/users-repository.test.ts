import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { DatabaseConflictError, DatabaseInvalidValueError } from "../../src/db/errors";
import { createOrganizationRepository } from "../../src/modules/organizations/repository";
import { createUserRepository, type UserRepository } from "../../src/modules/users/repository";
import { createTestDatabase, dialects, type TestDatabase } from "../helpers/database";

describe.each(dialects)("user repository on %s", (dialect) => {
  let created: TestDatabase;
  let users: UserRepository;
  let orgId: string;
  let otherOrgId: string;

  beforeAll(async () => {
    created = await createTestDatabase(dialect);
    users = createUserRepository(created.db);
  });
  afterAll(() => created.drop());

  beforeEach(async () => {
    const organizations = createOrganizationRepository(created.db);
    orgId = (await organizations.create("Acme")).id;
    otherOrgId = (await organizations.create("Globex")).id;
  });

  const newUser = (email: string, role: "viewer" | "user" | "admin" = "user") => ({
    organizationId: orgId,
    email,
    passwordHash: "hash",
    role,
  });
  const unique = (name: string) => `${name}-${Bun.randomUUIDv7()}@example.com`;

  test("creates a user with defaults and returns it in camelCase with ISO timestamps", async () => {
    const user = await users.createUser({ organizationId: orgId, email: unique("ada"), passwordHash: "h" });
    expect(user).toMatchObject({ organizationId: orgId, passwordHash: "h", role: "user", disabled: false });
    expect(user.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(user.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(user.updatedAt).toBe(user.createdAt);
  });

  test("finds a user by email whatever its case", async () => {
    const email = unique("Grace.Hopper");
    const user = await users.createUser(newUser(email));
    expect((await users.findByEmail(email.toUpperCase()))?.id).toBe(user.id);
    expect(await users.findByEmail(unique("nobody"))).toBeUndefined();
  });

  test("refuses a second user with the same email in any case with a conflict naming email", async () => {
    const email = unique("Linus");
    await users.createUser(newUser(email));
    const error = await users
      .createUser({ ...newUser(email.toLowerCase()), organizationId: otherOrgId })
      .catch((e) => e);
    // The repository raises the database layer's own error; the HTTP layer makes it a 409.
    expect(error).toBeInstanceOf(DatabaseConflictError);
    expect(error).toMatchObject({ field: "email", message: "A user with this email already exists" });
  });

  test("finds by id only within the user's organization", async () => {
    const user = await users.createUser(newUser(unique("margaret")));
    expect((await users.findById(orgId, user.id))?.email).toBe(user.email);
    expect(await users.findById(otherOrgId, user.id)).toBeUndefined();
  });

  test("lists an organization's users oldest first, a page at a time, to the end", async () => {
    const emails: string[] = [];
    for (let i = 0; i < 5; i++) emails.push((await users.createUser(newUser(unique(`p${i}`)))).email);
    await users.createUser({ ...newUser(unique("outsider")), organizationId: otherOrgId });

    const first = await users.listByOrganization(orgId, { limit: 2 });
    expect(first.items.map((u) => u.email)).toEqual(emails.slice(0, 2));
    expect(first.hasMore).toBe(true);
    const second = await users.listByOrganization(orgId, { limit: 2, cursor: first.nextCursor ?? "" });
    expect(second.items.map((u) => u.email)).toEqual(emails.slice(2, 4));
    const last = await users.listByOrganization(orgId, { limit: 2, cursor: second.nextCursor ?? "" });
    expect(last.items.map((u) => u.email)).toEqual(emails.slice(4));
    expect(last).toMatchObject({ hasMore: false, nextCursor: null });
  });

  test("keeps pages apart when users share a creation millisecond", async () => {
    const at = "2026-01-01T00:00:00.000Z";
    const ids = [Bun.randomUUIDv7(), Bun.randomUUIDv7(), Bun.randomUUIDv7()].sort();
    for (const id of ids) {
      await created.db.sql`insert into users (id, organization_id, email, password_hash, created_at, updated_at)
        values (${id}, ${orgId}, ${unique("same")}, 'h', ${at}, ${at})`;
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await users.listByOrganization(orgId, { limit: 1, cursor });
      seen.push(...page.items.map((u) => u.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual(ids);
  });

  test("refuses a cursor that is not one with an invalid value on cursor", async () => {
    const error = await users.listByOrganization(orgId, { limit: 2, cursor: "not-a-cursor" }).catch((e) => e);
    expect(error).toBeInstanceOf(DatabaseInvalidValueError);
    expect(error).toMatchObject({ field: "cursor", message: "Invalid cursor", unrepresentable: false });
  });

  test("updates only the fields given and moves updatedAt", async () => {
    const user = await users.createUser(newUser(unique("edsger")));
    await Bun.sleep(2);
    const updated = await users.updateUser(orgId, user.id, { role: "admin", disabled: true });
    expect(updated).toMatchObject({ email: user.email, role: "admin", disabled: true, passwordHash: "hash" });
    expect((updated?.updatedAt ?? "") > user.updatedAt).toBe(true);
    const again = await users.updateUser(orgId, user.id, { disabled: false, passwordHash: "new" });
    expect(again).toMatchObject({ role: "admin", disabled: false, passwordHash: "new" });
  });

  test("does not update a user of another organization", async () => {
    const user = await users.createUser(newUser(unique("barbara")));
    expect(await users.updateUser(otherOrgId, user.id, { role: "admin" })).toBeUndefined();
    expect((await users.findById(orgId, user.id))?.role).toBe("user");
  });

  test("refuses to change an email to one that is taken with a conflict naming email", async () => {
    const taken = await users.createUser(newUser(unique("taken")));
    const user = await users.createUser(newUser(unique("mover")));
    const error = await users.updateUser(orgId, user.id, { email: taken.email.toUpperCase() }).catch((e) => e);
    expect(error).toBeInstanceOf(DatabaseConflictError);
    expect(error).toMatchObject({ field: "email" });
  });

  test("deletes a user of the organization only, with their sessions", async () => {
    const user = await users.createUser(newUser(unique("alan")));
    await created.db.sql`insert into sessions (id, user_id, refresh_jti, expires_at)
      values (${Bun.randomUUIDv7()}, ${user.id}, 'jti', '2030-01-01T00:00:00.000Z')`;
    expect(await users.deleteUser(otherOrgId, user.id)).toBe(false);
    expect(await users.deleteUser(orgId, user.id)).toBe(true);
    expect(await users.findById(orgId, user.id)).toBeUndefined();
    const sessions = await created.db.sql`select 1 from sessions where user_id = ${user.id}`;
    expect(sessions.length).toBe(0);
    expect(await users.deleteUser(orgId, user.id)).toBe(false);
  });

  test("counts the admins who can sign in", async () => {
    await users.createUser(newUser(unique("a1"), "admin"));
    const second = await users.createUser(newUser(unique("a2"), "admin"));
    await users.createUser(newUser(unique("u1"), "user"));
    await users.createUser({ ...newUser(unique("a3"), "admin"), organizationId: otherOrgId });
    expect(await users.countAdmins(orgId)).toBe(2);
    await users.updateUser(orgId, second.id, { disabled: true });
    expect(await users.countAdmins(orgId)).toBe(1);
  });
});
