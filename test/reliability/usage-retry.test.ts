import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Config } from "../../src/config";
import { createUsageRepository, type UsageColumns } from "../../src/modules/usage/repository";
import { createMemoryLogger } from "../../src/observability/logger";
import { createUsageRecorder } from "../../src/observability/usage-recorder";
import { createTestDatabase, dialects, type TestDatabase } from "../helpers/database";

const settings: Config["usage"] = { enabled: true, bufferMax: 1000, flushIntervalMs: 60_000, batchSize: 500 };

describe.each(dialects)("api_usage rows of an insert whose acknowledgement was lost, on %s", (dialect) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase(dialect);
  });
  afterAll(() => database.drop());

  test("are written once when the batch is retried, and the rows after them are not held up", async () => {
    const insertColumns = createUsageRepository(database.db).insertColumns;
    let lostOnce = false;
    // The database commits, then the connection drops before it says so: the recorder must retry.
    const insert = async (batch: UsageColumns) => {
      await insertColumns(batch);
      if (!lostOnce) {
        lostOnce = true;
        throw new Error("connection closed before the reply");
      }
    };
    const recorder = createUsageRecorder({ insert, settings, logger: createMemoryLogger() });
    const observe = (n: number) => {
      for (let i = 0; i < n; i++) {
        const request = new Request("http://localhost/api/v1/me");
        recorder.observe({
          request,
          state: { id: `req_${i}`, startedAt: 0, ip: "127.0.0.1" },
          path: "/api/v1/me",
          route: "/api/v1/me",
          status: 200,
          bytes: 2,
          durationMs: 1,
        });
      }
    };

    observe(10);
    await recorder.flush();
    observe(5);
    await recorder.flush();
    await recorder.close();

    const [{ rows }] = (await database.db.sql`select count(*) as rows from api_usage`) as [{ rows: number | string }];
    expect(Number(rows)).toBe(15);
    expect(recorder.stats()).toMatchObject({ buffered: 0, written: 15, dropped: 0 });
  });
});
