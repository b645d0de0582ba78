import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { type Database, openDatabase } from "../../src/db/database";
import { DatabaseConflictError, DatabaseTimeoutError, DatabaseUnavailableError } from "../../src/db/errors";
import { createTestDatabase, dialects, type TestDatabase } from "../helpers/database";
import { type FaultProxy, startFaultProxy } from "../helpers/fault-proxy";

async function failureOf(promise: PromiseLike<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the query to fail");
}

async function until(check: () => boolean, ms: number): Promise<boolean> {
  const end = performance.now() + ms;
  while (performance.now() < end && !check()) await Bun.sleep(10);
  return check();
}

describe.skipIf(!dialects.includes("postgres"))("the query deadline and the database's circuit breaker", () => {
  let created: TestDatabase;
  let proxy: FaultProxy;
  let db: Database;
  const transitions: string[] = [];

  beforeAll(async () => {
    created = await createTestDatabase("postgres");
    const target = new URL(created.url);
    proxy = await startFaultProxy(target.hostname, Number(target.port || 5432));
    const viaProxy = new URL(created.url);
    viaProxy.port = String(proxy.port);
    db = openDatabase(viaProxy.toString(), {
      poolMax: 3,
      queryTimeoutMs: 300,
      onCircuitTransition: (from, to) => transitions.push(`${from}→${to}`),
    });
  });
  beforeEach(async () => {
    proxy.heal();
    expect(await until(() => db.breaker?.state() === "closed", 3000)).toBe(true);
    transitions.length = 0;
  });
  afterAll(async () => {
    proxy.heal();
    await db.close();
    await proxy.close();
    await created.drop();
  });

  test("a query that gets no answer is rejected at its deadline, and the circuit opens at once", async () => {
    await db.sql`select 1`;
    proxy.blackhole();
    const started = performance.now();
    const error = await failureOf(db.sql`select 1`);
    const waited = performance.now() - started;
    expect(error).toBeInstanceOf(DatabaseTimeoutError);
    expect(waited).toBeGreaterThanOrEqual(295);
    expect(waited).toBeLessThan(600);
    expect(db.breaker?.state()).not.toBe("closed");

    // Open: refused at once, without a byte to the database.
    const accepted = proxy.accepted;
    const next = performance.now();
    expect(await failureOf(db.sql`select 2`)).toBeInstanceOf(DatabaseUnavailableError);
    expect(performance.now() - next).toBeLessThan(20);
    expect(await failureOf(db.ping(500))).toBeInstanceOf(DatabaseUnavailableError);
    expect(proxy.accepted).toBe(accepted);
    expect(transitions[0]).toBe("closed→open");
  });

  test("the breaker's own probe closes the circuit once the database answers, with no query from a caller", async () => {
    proxy.acceptThenClose();
    // Quick failures open it after three in a row (or one runs out its deadline first).
    for (let i = 0; i < 3 && db.breaker?.state() === "closed"; i++) {
      expect(await failureOf(db.sql`select 1`)).toBeInstanceOf(DatabaseUnavailableError);
    }
    expect(db.breaker?.state()).not.toBe("closed");
    proxy.heal();
    expect(await until(() => db.breaker?.state() === "closed", 2500)).toBe(true);
    expect(await db.sql`select 42 as answer`).toEqual([{ answer: 42 }]);
    expect(transitions.at(-1)).toBe("half-open→closed");
  });

  test("one slow query past its deadline while others are answered is one failure, not an outage", async () => {
    const slow = failureOf(db.sql`select pg_sleep(0.6)`);
    const others = (async () => {
      for (let i = 0; i < 10; i++) {
        await db.sql`select 1`;
        await Bun.sleep(40);
      }
    })();
    expect(await slow).toBeInstanceOf(DatabaseTimeoutError);
    await others;
    expect(db.breaker?.state()).toBe("closed");
    expect(transitions).toEqual([]);
  });

  test("a transaction as a whole has the deadline", async () => {
    await db.sql`select 1`;
    const started = performance.now();
    const outcome = failureOf(
      db.sql.begin(async (tx) => {
        await tx`select 1`;
        proxy.blackhole();
        await tx`select 2`;
      }),
    );
    expect(await outcome).toBeInstanceOf(DatabaseTimeoutError);
    expect(performance.now() - started).toBeLessThan(700);
  });

  test("an answer that is an error (a conflict) is typed, and does not count against the database", async () => {
    await db.sql`create table if not exists deadline_t (id int primary key)`;
    await db.sql`insert into deadline_t values (1) on conflict do nothing`;
    for (let i = 0; i < 5; i++) {
      expect(await failureOf(db.sql`insert into deadline_t values (1)`)).toBeInstanceOf(DatabaseConflictError);
    }
    expect(db.breaker?.state()).toBe("closed");
  });

  test("fragments, helpers and unsafe pieces compose as before: only the query that is awaited runs", async () => {
    const where = db.sql`where n > ${1}`;
    const rows = await db.sql`select n from (values (1), (2), (3)) as t(n) ${where} order by ${db.sql.unsafe("n")}`;
    expect(rows).toEqual([{ n: 2 }, { n: 3 }]);
    expect(await db.sql.unsafe("select $1::int as n", [7])).toEqual([{ n: 7 }]);
  });

  test("migrations and the seed use the client without a deadline", async () => {
    proxy.slow(400);
    // 400 ms a chunk each way: past the 300 ms deadline, yet the direct client waits for it.
    expect(await db.direct`select 5 as n`).toEqual([{ n: 5 }]);
  });
});

describe("SQLite", () => {
  test("has no breaker and no deadline to trip: it runs in this process", async () => {
    const db = openDatabase("sqlite://:memory:", { queryTimeoutMs: 1 });
    expect(db.breaker).toBeUndefined();
    expect(await db.sql`select 1 as n`).toEqual([{ n: 1 }]);
    await db.close();
  });
});
