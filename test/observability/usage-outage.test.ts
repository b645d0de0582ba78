import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import type { Config } from "../../src/config";
import { type Database, openDatabase } from "../../src/db/database";
import { toNumber } from "../../src/db/values";
import { createUsageRepository } from "../../src/modules/usage/repository";
import { createMemoryLogger } from "../../src/observability/logger";
import { createUsageRecorder } from "../../src/observability/usage-recorder";
import { buildTestApp } from "../helpers/app";
import { createTestDatabase, dialects, type TestDatabase } from "../helpers/database";
import { type FaultProxy, startFaultProxy } from "../helpers/fault-proxy";
import { jsonRequest } from "../helpers/fixtures";

const settings: Config["usage"] = { enabled: true, bufferMax: 25, flushIntervalMs: 60_000, batchSize: 500 };

/** The recorder writes through a TCP proxy in front of Postgres; the test cuts it like an outage. */
describe.skipIf(!dialects.includes("postgres"))("api_usage rows while Postgres is unreachable", () => {
  let database: TestDatabase;
  let proxy: FaultProxy;
  let proxied: Database;

  beforeAll(async () => {
    database = await createTestDatabase("postgres");
    const url = new URL(database.url);
    proxy = await startFaultProxy(url.hostname, Number(url.port || 5432));
    url.hostname = "127.0.0.1";
    url.port = String(proxy.port);
    proxied = openDatabase(url.toString(), { poolMax: 2, connectTimeoutMs: 2000 });
  });
  beforeEach(async () => {
    proxy.heal();
    await database.db.sql`DELETE FROM api_usage`;
  });
  afterAll(async () => {
    await proxied.close();
    await proxy.close();
    await database.drop();
  });

  const recordingApp = () => {
    const logger = createMemoryLogger();
    const recorder = createUsageRecorder({ insert: createUsageRepository(proxied).insertColumns, settings, logger });
    const { app } = buildTestApp({ deps: { db: database.db, observers: [recorder.observe] } });
    let sent = 0;
    const send = async (count: number) => {
      const ids: string[] = [];
      for (let i = 0; i < count; i++) {
        const response = await app.handle(jsonRequest("GET", "/api/v1/me"));
        ids.push(response.headers.get("x-request-id") as string);
      }
      sent += count;
      // The recorder observes after the response (a later turn): on a busy machine, later than 5 ms.
      const seen = () => {
        const stats = recorder.stats();
        return stats.buffered + stats.written + stats.dropped >= sent;
      };
      for (let waited = 0; waited < 2000 && !seen(); waited += 5) await Bun.sleep(5);
      return ids;
    };
    return { recorder, logger, send };
  };
  const storedIds = async (): Promise<string[]> =>
    (await database.db.sql`SELECT request_id FROM api_usage`).map((r: { request_id: string }) => r.request_id).sort();

  test("keeps rows while the database is down and writes them when it returns", async () => {
    const { recorder, logger, send } = recordingApp();
    const before = await send(5);
    await recorder.flush();
    expect(await storedIds()).toEqual([...before].sort());

    proxy.refuse();
    const during = await send(20);
    await recorder.flush();
    expect(recorder.stats()).toMatchObject({ buffered: 20, written: 5, dropped: 0 });
    expect(recorder.stats().failedInserts).toBeGreaterThanOrEqual(1);
    expect(await storedIds()).toEqual([...before].sort());

    proxy.heal();
    await recorder.flush();
    expect(await storedIds()).toEqual([...before, ...during].sort());
    expect(recorder.stats()).toMatchObject({ buffered: 0, written: 25, dropped: 0 });
    expect(logger.lines.map((l) => l.msg)).toEqual([
      "usage rows: insert failed, keeping rows to retry",
      "usage rows: database writes resumed",
    ]);
    await recorder.close();
  });

  test("drops only the rows beyond the buffer's bound, counts them and logs how many", async () => {
    const { recorder, logger, send } = recordingApp();
    proxy.refuse();
    const sent = await send(40);
    await recorder.flush();
    expect(recorder.stats()).toMatchObject({ buffered: 25, written: 0, dropped: 15 });
    expect(logger.lines).toContainEqual({
      level: "warn",
      msg: "usage rows dropped: buffer full",
      dropped: 15,
      bufferMax: 25,
    });

    proxy.heal();
    await recorder.flush();
    // The oldest rows were kept; the ones that arrived after the buffer filled were dropped.
    expect(await storedIds()).toEqual(sent.slice(0, 25).sort());
    expect(toNumber((await database.db.sql`SELECT COUNT(*) AS n FROM api_usage`)[0].n)).toBe(25);
    await recorder.close();
  });

  test("gives up at shutdown on a database that stopped answering, and says how many rows were lost", async () => {
    const url = new URL(database.url);
    const stall = await startFaultProxy(url.hostname, Number(url.port || 5432));
    url.hostname = "127.0.0.1";
    url.port = String(stall.port);
    const stalled = openDatabase(url.toString(), { poolMax: 1 });
    await stalled.sql`SELECT 1`;
    const logger = createMemoryLogger();
    const recorder = createUsageRecorder({
      insert: createUsageRepository(stalled).insertColumns,
      settings,
      logger,
      closeTimeoutMs: 200,
    });
    const { app } = buildTestApp({ deps: { db: database.db, observers: [recorder.observe] } });
    for (let i = 0; i < 3; i++) await app.handle(jsonRequest("GET", "/api/v1/me"));
    await Bun.sleep(5);

    stall.blackhole();
    const started = performance.now();
    await recorder.close();
    expect(performance.now() - started).toBeLessThan(1000);
    expect(logger.lines).toContainEqual({
      level: "error",
      msg: "usage rows lost at shutdown: database unavailable",
      rows: 3,
    });

    stall.heal();
    await stalled.close();
    await stall.close();
  });
});
