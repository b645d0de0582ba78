import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "../../src/db/database";
import { DatabaseTimeoutError } from "../../src/db/errors";
import { createTestDatabase, dialects, type TestDatabase } from "../helpers/database";

describe("openDatabase with sqlite://", () => {
  const dir = join(tmpdir(), `revenue-api-open-${Bun.randomUUIDv7()}`);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  test("creates the file's folder and opens it in WAL mode with foreign keys and a busy timeout", async () => {
    const db = openDatabase(`sqlite://${dir}/nested/app.db`);
    try {
      expect(db.dialect).toBe("sqlite");
      const [journal] = await db.sql`PRAGMA journal_mode`;
      const [keys] = await db.sql`PRAGMA foreign_keys`;
      const [busy] = await db.sql`PRAGMA busy_timeout`;
      expect(journal).toEqual({ journal_mode: "wal" });
      expect(keys).toEqual({ foreign_keys: 1 });
      expect(busy).toEqual({ timeout: 5000 });
      expect(await Bun.file(`${dir}/nested/app.db`).exists()).toBe(true);
    } finally {
      await db.close();
    }
  });

  test("gives each sqlite://:memory: database its own data", async () => {
    const a = openDatabase("sqlite://:memory:");
    const b = openDatabase("sqlite://:memory:");
    try {
      await a.sql`create table t (x integer)`;
      expect(await b.sql`select name from sqlite_master where name = 't'`).toHaveLength(0);
      await a.ping(100);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  test("refuses a URL of another database", () => {
    expect(() => openDatabase("mysql://localhost/app")).toThrow("postgres://");
  });
});

describe("SQLite queries made outside an open transaction", () => {
  let created: TestDatabase;
  beforeAll(async () => {
    created = await createTestDatabase("sqlite");
    await created.db.sql`create table notes (body text)`;
  });
  afterAll(() => created.drop());

  test("are not rolled back with it and do not see its uncommitted rows", async () => {
    const { sql } = created.db;
    let release = () => {};
    const inside = new Promise<void>((resolve) => {
      release = resolve;
    });
    const transaction = sql.begin(async (tx) => {
      await tx`insert into notes (body) values ('rolled back')`;
      await inside;
      throw new Error("abort");
    });
    await Bun.sleep(5);
    // A query is lazy: then() starts it, here while the transaction is still open.
    const read = sql`select body from notes`.then((rows) => [...rows]);
    const write = sql`insert into notes (body) values ('kept')`.then(() => undefined);
    release();
    await expect(transaction).rejects.toThrow("abort");
    expect(await read).toEqual([]);
    await write;
    expect(await sql`select body from notes`).toEqual([{ body: "kept" }]);
  });
});

describe.skipIf(!dialects.includes("postgres"))("openDatabase with postgres://", () => {
  let created: TestDatabase;
  beforeAll(async () => {
    created = await createTestDatabase("postgres", { migrate: false });
  });
  afterAll(() => created.drop());

  const preparedCount = async (url: string, prepare?: boolean) => {
    const db = openDatabase(url, { poolMax: 1, prepare });
    try {
      await db.sql`select ${1}::int as one`;
      const [row] = await db.sql`select count(*)::int as n from pg_prepared_statements`;
      return (row as { n: number }).n;
    } finally {
      await db.close();
    }
  };

  test("uses prepared statements by default", async () => {
    expect(await preparedCount(created.url)).toBeGreaterThan(0);
  });

  test("runs without prepared statements when told to, for transaction poolers", async () => {
    expect(await preparedCount(created.url, false)).toBe(0);
  });

  test("accepts pgbouncer=true and other client-side parameters, and then prepares nothing", async () => {
    expect(await preparedCount(`${created.url}?pgbouncer=true&connection_limit=1`)).toBe(0);
  });

  test("never falls back to plain text when the URL asks for sslmode=require", async () => {
    const db = openDatabase(`${created.url}?sslmode=require`, { poolMax: 1 });
    try {
      const outcome: boolean | string = await db.sql`select ssl from pg_stat_ssl where pid = pg_backend_pid()`.then(
        (rows) => (rows[0] as { ssl: boolean }).ssl,
        // The driver's code is under the database layer's typed error.
        (error: { cause?: { code?: string } }) => error.cause?.code ?? "no code",
      );
      // This server may or may not offer TLS; either way the connection is encrypted or refused.
      expect([true, "ERR_POSTGRES_TLS_NOT_AVAILABLE"]).toContain(outcome);
    } finally {
      await db.close();
    }
  });

  test("ping rejects after its timeout when the server never answers", async () => {
    const silent = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const db = openDatabase(`postgres://postgres@127.0.0.1:${silent.port}/x`);
    try {
      const started = performance.now();
      const error = await db.ping(300).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DatabaseTimeoutError);
      expect(performance.now() - started).toBeLessThan(1000);
    } finally {
      await db.close();
      silent.stop(true);
    }
  });
});
