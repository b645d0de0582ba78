import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Database, type Dialect, openDatabase } from "../../src/db/database";
import { pendingMigrations } from "../../src/db/migrate";
import { createTestDatabase, dialects, type TestDatabase } from "../helpers/database";

const root = join(import.meta.dir, "..", "..");

/** `npm run <script>` as an operator runs it: bun on the script, DATABASE_URL in the environment. */
async function runScript(script: "backup" | "restore", databaseUrl: string, args: string[]) {
  const child = Bun.spawn([process.execPath, "--no-env-file", `scripts/${script}.ts`, ...args], {
    cwd: root,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? tmpdir(), DATABASE_URL: databaseUrl },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [code, stdout, stderr] = await Promise.all([
    child.exited,
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
  ]);
  return { code, stdout, stderr };
}

interface UsageRow {
  id: string;
  endpoint: string;
  method: string;
  status_code: number;
  response_time_ms: number;
  request_id: string;
}

/**
 * Inserts api_usage rows one at a time until stopped, on its own connection, and records each id
 * once its insert has returned (committed).
 */
function startWriter(db: Database) {
  const committed: string[] = [];
  let seq = 0;
  let stopped = false;
  let failure: unknown;
  const done = (async () => {
    while (!stopped) {
      seq += 1;
      const id = `row-${String(seq).padStart(8, "0")}`;
      await db.sql`
        INSERT INTO api_usage (id, endpoint, method, status_code, response_time_ms, request_id, created_at)
        VALUES (${id}, '/api/v1/prospects/:id', 'GET', ${200 + (seq % 3)}, ${seq / 7}, ${`req_${seq}`}, ${new Date().toISOString()})`;
      committed.push(id);
      // SQLite answers without a trip through the event loop: let timers and subprocesses run.
      await new Promise((resolve) => setImmediate(resolve));
    }
  })().catch((error) => {
    failure = error;
  });
  return {
    committed,
    /** Resolves once `count` rows are committed; rejects if an insert failed or 10 s passed. */
    async reach(count: number) {
      const deadline = Date.now() + 10_000;
      while (committed.length < count) {
        if (failure) throw failure;
        if (Date.now() > deadline) throw new Error(`only ${committed.length} rows in 10 s`);
        await Bun.sleep(10);
      }
    },
    async stop() {
      stopped = true;
      await done;
    },
  };
}

async function usageRows(db: Database): Promise<Map<string, UsageRow>> {
  const rows: UsageRow[] = await db.sql`
    SELECT id, endpoint, method, status_code, response_time_ms, request_id FROM api_usage ORDER BY id`;
  return new Map(rows.map((row) => [row.id, { ...row, status_code: Number(row.status_code) }]));
}

/** An empty database to restore into: a new SQLite path, or a new Postgres database without tables. */
async function emptyTarget(dialect: Dialect, dir: string): Promise<{ url: string; drop(): Promise<void> }> {
  if (dialect === "sqlite") return { url: `sqlite://${join(dir, "restored.db")}`, drop: async () => {} };
  const target = await createTestDatabase("postgres", { migrate: false });
  await target.db.close();
  return target;
}

describe.each(dialects)("npm run backup and npm run restore on %s", (dialect) => {
  let source: TestDatabase | undefined;
  let target: { url: string; drop(): Promise<void> } | undefined;
  let dir: string;
  afterEach(async () => {
    await source?.drop();
    await target?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const setUp = async () => {
    dir = mkdtempSync(join(tmpdir(), "revenue-api-backup-"));
    source = await createTestDatabase(dialect, { file: true });
    target = await emptyTarget(dialect, dir);
    return { source, target, file: join(dir, dialect === "sqlite" ? "backup.db" : "backup.dump") };
  };

  test("a backup taken while writes continue restores into a fresh database that holds every row committed before it began, intact", async () => {
    const { source, target, file } = await setUp();
    const writer = startWriter(openDatabase(source.url, { poolMax: 1 }));
    await writer.reach(200);

    const before = [...writer.committed];
    const backup = await runScript("backup", source.url, ["--out", file]);
    const duringBackup = writer.committed.length - before.length;
    await Bun.sleep(50);
    await writer.stop();

    expect(backup.stderr).toBe("");
    expect(backup.code).toBe(0);
    expect(backup.stdout).toMatch(
      new RegExp(`^Backed up the ${dialect} database to .+: [\\d.]+ KiB in \\d+ ms\\.\\n$`),
    );
    // Writes went on while the backup ran: it did not lock the writer out.
    expect(duringBackup).toBeGreaterThan(0);
    expect(existsSync(`${file}.partial`)).toBe(false);
    expect(statSync(file).size).toBeGreaterThan(0);

    const restore = await runScript("restore", target.url, [file]);
    expect(restore.stderr).toBe("");
    expect(restore.code).toBe(0);

    const restored = openDatabase(target.url, { poolMax: 1 });
    const original = openDatabase(source.url, { poolMax: 1 });
    try {
      if (dialect === "sqlite") {
        expect(await restored.sql`PRAGMA integrity_check`).toEqual([{ integrity_check: "ok" }]);
      }
      expect(await pendingMigrations(restored)).toEqual([]);
      const rows = await usageRows(restored);
      const originals = await usageRows(original);
      expect(before.filter((id) => !rows.has(id))).toEqual([]);
      // Every restored row is one that was committed, exactly as it was written.
      const committed = new Set(writer.committed);
      expect([...rows.keys()].filter((id) => !committed.has(id))).toEqual([]);
      expect([...rows.values()].filter((row) => !Bun.deepEquals(row, originals.get(row.id)))).toEqual([]);
      expect(restore.stdout).toContain(`api_usage          ${rows.size}\n`);
    } finally {
      await restored.close();
      await original.close();
    }
  }, 60_000);

  test("refuses to restore over a database that holds the application's tables unless --force, and leaves it as it was", async () => {
    const { source, file } = await setUp();
    await source.db.sql`INSERT INTO organizations (id, name) VALUES ('org-1', 'Kept')`;
    expect((await runScript("backup", source.url, ["--out", file])).code).toBe(0);
    await source.db.sql`UPDATE organizations SET name = 'Changed after the backup'`;

    const refused = await runScript("restore", source.url, [file]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("already holds the application's tables; pass --force to replace them");
    expect(await source.db.sql`SELECT name FROM organizations`).toEqual([{ name: "Changed after the backup" }]);

    if (dialect === "sqlite") await source.db.close();
    const forced = await runScript("restore", source.url, [file, "--force"]);
    expect(forced.stderr).toBe("");
    expect(forced.code).toBe(0);
    const reopened = openDatabase(source.url, { poolMax: 1 });
    try {
      expect(await reopened.sql`SELECT name FROM organizations`).toEqual([{ name: "Kept" }]);
    } finally {
      await reopened.close();
    }
  }, 60_000);

  test("refuses a file that is not a backup with one line saying so, and writes nothing", async () => {
    const { target } = await setUp();
    const junk = join(dir, "junk");
    await Bun.write(junk, "this is not a database\n");
    const result = await runScript("restore", target.url, [junk]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: .*(not an SQLite database|pg_restore failed).*\n$/);
    const restored = openDatabase(target.url, { poolMax: 1 });
    try {
      const tables =
        dialect === "sqlite"
          ? await restored.sql`SELECT name FROM sqlite_master WHERE type = 'table'`
          : await restored.sql`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`;
      expect(tables).toEqual([]);
    } finally {
      await restored.close();
    }
  });
});
