import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { type Database, openDatabase } from "../../src/db/database";
import { DatabaseTimeoutError } from "../../src/db/errors";
import { mapDatabaseError } from "../../src/http/database-errors";
import { createTestDatabase, dialects, type TestDatabase } from "../helpers/database";
import { type FaultProxy, startFaultProxy } from "../helpers/fault-proxy";

const unavailable = {
  status: 503,
  code: "ServiceUnavailable",
  message: "Database unavailable, please retry",
  headers: { "Retry-After": "5" },
};

/** Rejects with what the query threw, or fails the test if it answered. */
async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the query to fail");
}

describe.skipIf(!dialects.includes("postgres"))("a Postgres connection that goes away", () => {
  let created: TestDatabase;
  let proxy: FaultProxy;
  let db: Database;

  beforeAll(async () => {
    created = await createTestDatabase("postgres");
    const target = new URL(created.url);
    proxy = await startFaultProxy(target.hostname, Number(target.port || 5432));
    const viaProxy = new URL(created.url);
    viaProxy.port = String(proxy.port);
    db = openDatabase(viaProxy.toString(), { poolMax: 2 });
  });
  afterEach(() => proxy.heal());
  afterAll(async () => {
    await db.close();
    await proxy.close();
    await created.drop();
  });

  test("fails a query within a second with a 503 that asks to retry in 5 s", async () => {
    await db.sql`select 1`;
    proxy.refuse();
    const started = performance.now();
    const error = await failureOf(db.sql`select 1`);
    expect(performance.now() - started).toBeLessThan(1000);
    const mapped = mapDatabaseError(error);
    expect(mapped).toMatchObject(unavailable);
    expect(mapped?.message).not.toContain("ERR_POSTGRES");
  });

  test("fails a ping(500) within a second", async () => {
    proxy.refuse();
    const started = performance.now();
    const error = await failureOf(db.ping(500));
    expect(performance.now() - started).toBeLessThan(1000);
    expect(mapDatabaseError(error)).toMatchObject(unavailable);
  });

  test("answers again once the network is back, without reopening the Database", async () => {
    proxy.refuse();
    await failureOf(db.sql`select 1`);
    proxy.heal();
    const [row] = await db.sql`select 42 as answer`;
    expect(row).toEqual({ answer: 42 });
    await db.ping(500);
  });

  test("fails a query that was running when the connection dropped", async () => {
    const running = db.sql`select pg_sleep(2)`;
    const outcome = failureOf(running);
    await Bun.sleep(100);
    proxy.refuse();
    expect(mapDatabaseError(await outcome)).toMatchObject(unavailable);
  });
});

describe("errors that mean the database is unavailable", () => {
  test("a Postgres server that refuses connections", async () => {
    const db = openDatabase("postgres://postgres@127.0.0.1:1/none");
    try {
      expect(mapDatabaseError(await failureOf(db.sql`select 1`))).toMatchObject(unavailable);
    } finally {
      await db.close();
    }
  });

  test("a closed SQLite database", async () => {
    const db = openDatabase("sqlite://:memory:");
    await db.close();
    expect(mapDatabaseError(await failureOf(db.sql`select 1`))).toMatchObject(unavailable);
  });

  test("a ping that timed out", () => {
    expect(mapDatabaseError(new DatabaseTimeoutError("late"))).toMatchObject(unavailable);
  });
});

describe.each(dialects)("errors the client did not cause on %s", (dialect) => {
  let created: TestDatabase;
  beforeAll(async () => {
    created = await createTestDatabase(dialect);
  });
  afterAll(() => created.drop());

  test("are not mapped, so they become a 500", async () => {
    expect(mapDatabaseError(await failureOf(created.db.sql`select * from no_such_table`))).toBeUndefined();
    expect(mapDatabaseError(new Error("boom"))).toBeUndefined();
  });

  test("a duplicate primary key is a 409 naming id", async () => {
    const id = Bun.randomUUIDv7();
    await created.db.sql`insert into organizations (id, name) values (${id}, 'A')`;
    const error = await failureOf(created.db.sql`insert into organizations (id, name) values (${id}, 'B')`);
    expect(mapDatabaseError(error)).toMatchObject({
      status: 409,
      message: "An organization with this id already exists",
      details: { id: ["An organization with this id already exists"] },
    });
  });

  test("an OFFSET the database cannot take (1e+21; -1 on Postgres) is a 400, whatever let it through", async () => {
    // SQLite reads a negative OFFSET as 0.
    for (const bad of dialect === "postgres" ? [1e21, -1] : [1e21]) {
      const error = await failureOf(created.db.sql`select 1 as n limit 1 offset ${bad}`);
      expect(mapDatabaseError(error)).toMatchObject({
        status: 400,
        code: "BadRequest",
        message: "The request contains a value the database cannot accept",
      });
    }
  });

  test("a taken API key hash is a 409", async () => {
    const orgId = Bun.randomUUIDv7();
    await created.db.sql`insert into organizations (id, name) values (${orgId}, 'K')`;
    const insert = () => created.db.sql`insert into api_keys (id, organization_id, name, prefix, key_hash)
      values (${Bun.randomUUIDv7()}, ${orgId}, 'ci', 'sk_live_AbCd', 'deadbeef')`;
    await insert();
    expect(mapDatabaseError(await failureOf(insert()))).toMatchObject({
      status: 409,
      message: "An API key with this key hash already exists",
    });
  });
});
