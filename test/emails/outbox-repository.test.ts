import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type Database, openDatabase } from "../../src/db/database";
import { toIso } from "../../src/db/values";
import { createOutboxRepository } from "../../src/mail/outbox-repository";
import { createTestDatabase, dialects, type TestDatabase } from "../helpers/database";
import { seedOrganization } from "../helpers/fixtures";
import { insertProspect } from "./support";

describe.each(dialects)("outbox claims on %s", (dialect) => {
  let database: TestDatabase;
  let second: Database;
  let organizationId: string;
  let prospectId: string;

  beforeAll(async () => {
    database = await createTestDatabase(dialect, { file: true });
    second = openDatabase(database.url);
    organizationId = (await seedOrganization(database.db, "Acme")).id;
    prospectId = await insertProspect(database.db, organizationId, { email: "ada@lovelace.example" });
  });
  afterAll(async () => {
    await second.close();
    await database.drop();
  });

  const enqueue = async (count: number, dueAt: Date) => {
    await database.db.sql`DELETE FROM emails`;
    const at = dueAt.toISOString();
    for (let i = 0; i < count; i++) {
      await database.db.sql`
        INSERT INTO emails (id, organization_id, prospect_id, to_address, subject, text_body, status, attempts,
                            next_attempt_at, created_at, updated_at)
        VALUES (${Bun.randomUUIDv7()}, ${organizationId}, ${prospectId}, 'ada@lovelace.example', ${`M${i}`}, 'Body',
                'queued', 0, ${at}, ${at}, ${at})`;
    }
  };

  test("claims at most the batch size, oldest due first, and marks them sending with a lock", async () => {
    await enqueue(30, new Date(Date.now() - 1000));
    const now = new Date();
    const claimed = await createOutboxRepository(database.db).claim(10, now, 60_000);
    expect(claimed).toHaveLength(10);
    expect(claimed.map((e) => e.subject)).toEqual(Array.from({ length: 10 }, (_, i) => `M${i}`));
    expect(claimed.every((e) => e.attempts === 1)).toBe(true);
    const rows = await database.db.sql`SELECT status, count(*) AS n FROM emails GROUP BY status ORDER BY status`;
    expect(rows.map((r: { status: string; n: unknown }) => [r.status, Number(r.n)])).toEqual([
      ["queued", 20],
      ["sending", 10],
    ]);
    const locks = await database.db.sql`SELECT DISTINCT locked_until FROM emails WHERE status = 'sending'`;
    expect(locks.map((r: { locked_until: unknown }) => toIso(r.locked_until))).toEqual([
      new Date(now.getTime() + 60_000).toISOString(),
    ]);
  });

  test("never claims an email that is not due yet", async () => {
    await enqueue(3, new Date(Date.now() + 60_000));
    expect(await createOutboxRepository(database.db).claim(10, new Date(), 60_000)).toEqual([]);
  });

  test("two connections claiming at once get disjoint batches", async () => {
    await enqueue(30, new Date(Date.now() - 1000));
    const [a, b] = await Promise.all([
      createOutboxRepository(database.db).claim(10, new Date(), 60_000),
      createOutboxRepository(second).claim(10, new Date(), 60_000),
    ]);
    expect(a).toHaveLength(10);
    expect(b).toHaveLength(10);
    const ids = new Set([...a, ...b].map((e) => e.id));
    expect(ids.size).toBe(20);
  });

  test("a late write from a worker whose claim was taken over changes nothing", async () => {
    await enqueue(1, new Date(Date.now() - 300_000));
    const outbox = createOutboxRepository(database.db);
    const [stale] = await outbox.claim(1, new Date(Date.now() - 120_000), 60_000);
    if (!stale) throw new Error("nothing claimed");
    // The first claim's lock ran out: the row is put back and claimed again.
    expect(await outbox.releaseExpired(new Date(), 5)).toBe(1);
    const [fresh] = await outbox.claim(1, new Date(), 60_000);
    expect(fresh?.attempts).toBe(2);
    await outbox.markFailed(stale, "late failure", new Date());
    const rows = await database.db.sql`SELECT status, attempts, last_error FROM emails`;
    expect(rows[0]).toMatchObject({ status: "sending", last_error: null });
  });
});
