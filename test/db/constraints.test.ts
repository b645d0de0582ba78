import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Database } from "../../src/db/database";
import { mapDatabaseError } from "../../src/http/database-errors";
import { createTestDatabase, dialects, type TestDatabase } from "../helpers/database";

/** What the database refuses on its own, whatever the code above it checks. */
describe.each(dialects)("constraints on %s", (dialect) => {
  let created: TestDatabase;
  let db: Database;

  beforeAll(async () => {
    created = await createTestDatabase(dialect);
    db = created.db;
  });
  afterAll(() => created.drop());

  const id = () => Bun.randomUUIDv7();
  const organization = async () => {
    const orgId = id();
    await db.sql`insert into organizations (id, name) values (${orgId}, 'Org')`;
    return orgId;
  };
  const user = async (orgId: string, email: string, role = "user") => {
    const userId = id();
    await db.sql`insert into users (id, organization_id, email, password_hash, role)
      values (${userId}, ${orgId}, ${email}, 'h', ${role})`;
    return userId;
  };
  const prospect = async (orgId: string, fields: { email: string; company?: string; notes?: string }) => {
    const prospectId = id();
    await db.sql`insert into prospects (id, organization_id, email, company, notes)
      values (${prospectId}, ${orgId}, ${fields.email}, ${fields.company ?? null}, ${fields.notes ?? null})`;
    return prospectId;
  };
  const failure = (promise: Promise<unknown>) =>
    promise.then(
      () => undefined,
      (error: unknown) => mapDatabaseError(error),
    );

  test("user emails are unique across organizations whatever their case: 409 naming email", async () => {
    await user(await organization(), "Ada@Example.com");
    const error = await failure(user(await organization(), "ada@example.COM"));
    expect(error).toMatchObject({ status: 409, code: "Conflict", message: "A user with this email already exists" });
    expect(error?.details).toEqual({ email: ["A user with this email already exists"] });
  });

  test("a role outside viewer, user and admin is refused: 422 naming role", async () => {
    const error = await failure(user(await organization(), `${id()}@example.com`, "owner"));
    expect(error).toMatchObject({ status: 422, details: { role: expect.any(Array) } });
  });

  test("a prospect email is unique per organization whatever its case: 409 naming email", async () => {
    const orgId = await organization();
    await prospect(orgId, { email: "lead@globex.com" });
    const error = await failure(prospect(orgId, { email: "LEAD@globex.com" }));
    expect(error).toMatchObject({ status: 409, message: "A prospect with this email already exists" });
    expect(error?.details).toEqual({ email: ["A prospect with this email already exists"] });
    await prospect(await organization(), { email: "lead@globex.com" });
  });

  test("a prospect score outside 0..100 and an unknown status are refused", async () => {
    const orgId = await organization();
    const score = await failure(db.sql`insert into prospects (id, organization_id, email, score)
      values (${id()}, ${orgId}, 'a@b.co', 101)`);
    expect(score).toMatchObject({ status: 422, details: { score: expect.any(Array) } });
    const status = await failure(db.sql`insert into prospects (id, organization_id, email, status)
      values (${id()}, ${orgId}, 'c@d.co', 'maybe')`);
    expect(status).toMatchObject({ status: 422, details: { status: expect.any(Array) } });
  });

  test("a user in an organization that does not exist is refused with a 422", async () => {
    const error = await failure(user(id(), `${id()}@example.com`));
    expect(error?.status).toBe(422);
    if (dialect === "postgres") expect(error?.details).toHaveProperty("organizationId");
  });

  test("a missing required column is refused: 422 naming it", async () => {
    const error = await failure(db.sql`insert into users (id, organization_id, email)
      values (${id()}, ${await organization()}, ${`${id()}@example.com`})`);
    expect(error).toMatchObject({ status: 422, details: { passwordHash: expect.any(Array) } });
  });

  test("deleting an organization deletes its users, sessions and prospects", async () => {
    const orgId = await organization();
    const userId = await user(orgId, `${id()}@example.com`);
    await db.sql`insert into sessions (id, user_id, refresh_jti, expires_at)
      values (${id()}, ${userId}, 'jti', '2030-01-01T00:00:00.000Z')`;
    await prospect(orgId, { email: "p@q.co" });
    await db.sql`delete from organizations where id = ${orgId}`;
    const left = await db.sql`
      select (select count(*) from users where organization_id = ${orgId}) as users,
             (select count(*) from sessions where user_id = ${userId}) as sessions,
             (select count(*) from prospects where organization_id = ${orgId}) as prospects`;
    expect(left[0]).toEqual(
      dialect === "postgres" ? { users: "0", sessions: "0", prospects: "0" } : { users: 0, sessions: 0, prospects: 0 },
    );
  });

  test("deleting a user keeps their prospects, without an owner", async () => {
    const orgId = await organization();
    const userId = await user(orgId, `${id()}@example.com`);
    const prospectId = id();
    await db.sql`insert into prospects (id, organization_id, owner_id, email)
      values (${prospectId}, ${orgId}, ${userId}, 'owned@x.co')`;
    await db.sql`delete from users where id = ${userId}`;
    const [row] = await db.sql`select owner_id from prospects where id = ${prospectId}`;
    expect(row).toEqual({ owner_id: null });
  });

  test("the full-text index follows inserts, updates and deletes", async () => {
    const orgId = await organization();
    const search = async (term: string): Promise<string[]> => {
      const rows: { id: string }[] =
        dialect === "postgres"
          ? await db.sql`select id from prospects
              where organization_id = ${orgId} and search @@ to_tsquery('simple', ${`${term}:*`})`
          : await db.sql`select p.id from prospects_fts f join prospects p on p.rowid = f.rowid
              where p.organization_id = ${orgId} and prospects_fts match ${`${term}*`}`;
      return rows.map((row) => row.id);
    };
    const prospectId = await prospect(orgId, {
      email: "x@initech.com",
      company: "Initech",
      notes: "Loves TPS reports",
    });
    expect(await search("initech")).toEqual([prospectId]);
    expect(await search("tps")).toEqual([prospectId]);

    await db.sql`update prospects set company = 'Vandelay Industries', notes = null where id = ${prospectId}`;
    expect(await search("vandelay")).toEqual([prospectId]);
    expect(await search("tps")).toEqual([]);

    await db.sql`delete from prospects where id = ${prospectId}`;
    expect(await search("vandelay")).toEqual([]);
  });
});
