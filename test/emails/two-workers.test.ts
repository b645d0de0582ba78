import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type Database, openDatabase } from "../../src/db/database";
import { createSmtpMailer, type Mailer } from "../../src/mail/transport";
import { createEmailWorker } from "../../src/mail/worker";
import { createMemoryLogger } from "../../src/observability/logger";
import { createTestDatabase, dialects, type TestDatabase } from "../helpers/database";
import { seedOrganization } from "../helpers/fixtures";
import { type SmtpSink, startSmtpSink } from "./smtp-sink";
import { insertProspect, waitFor } from "./support";

const total = 100;

describe.each(dialects)("two workers on one %s database", (dialect) => {
  let database: TestDatabase;
  let second: Database;
  let sink: SmtpSink;
  const mailers: Mailer[] = [];

  beforeAll(async () => {
    database = await createTestDatabase(dialect, { file: true });
    second = openDatabase(database.url);
    sink = await startSmtpSink();
    const org = await seedOrganization(database.db, "Acme");
    const prospectId = await insertProspect(database.db, org.id, { email: "ada@lovelace.example" });
    const now = new Date().toISOString();
    for (let i = 0; i < total; i++) {
      await database.db.sql`
        INSERT INTO emails (id, organization_id, prospect_id, to_address, subject, text_body, status, attempts,
                            next_attempt_at, created_at, updated_at)
        VALUES (${Bun.randomUUIDv7()}, ${org.id}, ${prospectId}, 'ada@lovelace.example', ${`Message ${i}`}, 'Body',
                'queued', 0, ${now}, ${now}, ${now})`;
    }
  });
  afterAll(async () => {
    for (const mailer of mailers) mailer.close();
    await sink.close();
    await second.close();
    await database.drop();
  });

  test(`deliver ${total} queued emails exactly once between them`, async () => {
    // Each message is held briefly so that both workers have sends in flight at the same time.
    sink.delayData(5);
    const sentBy = { a: 0, b: 0 };
    const loggers: ReturnType<typeof createMemoryLogger>[] = [];
    const start = (db: Database, name: "a" | "b") => {
      const mailer = createSmtpMailer({ url: sink.url, from: "Revenue API <outbound@revenue.example>" });
      mailers.push(mailer);
      const counting: Mailer = {
        ...mailer,
        async send(email) {
          const result = await mailer.send(email);
          sentBy[name]++;
          return result;
        },
      };
      const logger = createMemoryLogger();
      loggers.push(logger);
      const worker = createEmailWorker({ db, mailer: counting, logger, pollIntervalMs: 5 });
      worker.start();
      return worker;
    };
    const workers = [start(database.db, "a"), start(second, "b")];
    const sentCount = async () =>
      Number((await database.db.sql`SELECT count(*) AS n FROM emails WHERE status = 'sent'`)[0].n);
    await waitFor(async () => (await sentCount()) === total, 20_000, "every email to be sent");
    await Promise.all(workers.map((w) => w.stop()));
    expect(loggers.flatMap((l) => l.lines)).toEqual([]);

    expect(sink.received).toHaveLength(total);
    const subjects = sink.received.map((m) => m.headers.subject);
    expect(new Set(subjects).size).toBe(total);
    const messageIds = new Set(sink.received.map((m) => m.headers["message-id"]));
    expect(messageIds.size).toBe(total);
    const rows = await database.db.sql`SELECT status, attempts FROM emails`;
    expect(
      rows.every((r: { status: string; attempts: unknown }) => r.status === "sent" && Number(r.attempts) === 1),
    ).toBe(true);
    // Both took part: the test exercised concurrent claiming, not one worker draining the queue.
    expect(sentBy.a).toBeGreaterThan(0);
    expect(sentBy.b).toBeGreaterThan(0);
    expect(sentBy.a + sentBy.b).toBe(total);
  }, 30_000);
});
