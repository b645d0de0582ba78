import { renameSync, rmSync, statSync } from "node:fs";
import { type Database, openDatabase } from "../database";
import { applicationTables, BackupError, type BackupResult, type RestoreResult } from "./shared";

/** libpq gives up on a server that does not answer after this many seconds. */
const connectTimeoutSeconds = "10";

/**
 * pg_dump in custom format (compressed, restorable table by table) of the `public` schema,
 * where the migrations put every table: on Supabase the other schemas (auth, storage, …) belong
 * to the platform and its own backups. One repeatable-read snapshot, so writes go on meanwhile.
 */
export async function backupPostgres(url: string, file: string): Promise<BackupResult> {
  const started = performance.now();
  const partial = `${file}.partial`;
  rmSync(partial, { force: true });
  await run("pg_dump", ["--format=custom", "--schema=public", `--file=${partial}`], url);
  // The table of contents is written last: a dump pg_restore can list is complete.
  await run("pg_restore", ["--list", partial]);
  renameSync(partial, file);
  return { dialect: "postgres", file, bytes: statSync(file).size, ms: performance.now() - started };
}

/**
 * pg_restore into the database at `url`, in one transaction (a failure leaves it as it was),
 * without the source's owners and grants (a Supabase project's roles differ from another's).
 */
export async function restorePostgres(file: string, url: string, options: { force: boolean }): Promise<RestoreResult> {
  const started = performance.now();
  const present = await withDatabase(url, existingTables);
  if (present.length > 0 && !options.force) {
    throw new BackupError(`the target database already holds the application's tables; pass --force to replace them`);
  }
  const replace = present.length > 0 ? ["--clean", "--if-exists"] : [];
  // The dump names the public schema, which every database already has: restore all but that.
  const contents = await run("pg_restore", ["--list", file]);
  const list = `${file}.${process.pid}.list`;
  await Bun.write(
    list,
    contents
      .split("\n")
      .filter((line) => !/ SCHEMA - public /.test(line))
      .join("\n"),
  );
  try {
    await run(
      "pg_restore",
      [
        "--no-owner",
        "--no-privileges",
        "--exit-on-error",
        "--single-transaction",
        ...replace,
        `--use-list=${list}`,
        file,
      ],
      url,
    );
  } finally {
    rmSync(list, { force: true });
  }
  return { dialect: "postgres", ms: performance.now() - started, rows: await withDatabase(url, countRows) };
}

/**
 * Runs a PostgreSQL client tool and resolves with its output; the password goes through the
 * environment, not the command line (which ps shows to every user).
 */
async function run(tool: string, args: string[], url?: string): Promise<string> {
  const path = Bun.which(tool);
  if (!path) {
    throw new BackupError(
      `${tool} is not installed: install the PostgreSQL client tools (Debian: postgresql-client), at least the server's major version`,
    );
  }
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    PGCONNECT_TIMEOUT: connectTimeoutSeconds,
  };
  const command = [path, ...args];
  if (url) {
    const parsed = new URL(url);
    if (parsed.password) env.PGPASSWORD = decodeURIComponent(parsed.password);
    parsed.password = "";
    command.push(`--dbname=${parsed.toString()}`);
  }
  const child = Bun.spawn(command, { env, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const [code, stdout, stderr] = await Promise.all([
    child.exited,
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
  ]);
  if (code !== 0) throw new BackupError(`${tool} failed (exit ${code}): ${stderr.trim()}`);
  return stdout;
}

async function withDatabase<T>(url: string, work: (db: Database) => Promise<T>): Promise<T> {
  const db = openDatabase(url, { poolMax: 1 });
  try {
    return await work(db);
  } finally {
    await db.close();
  }
}

async function existingTables(db: Database): Promise<string[]> {
  const rows: { table_name: string }[] = await db.sql`
    SELECT table_name FROM information_schema.tables
    WHERE table_schema = 'public' AND table_name IN ${db.sql(applicationTables)}`;
  const present = new Set(rows.map((row) => row.table_name));
  return applicationTables.filter((table) => present.has(table));
}

async function countRows(db: Database): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of await existingTables(db)) {
    const [row] = await db.sql.unsafe(`SELECT COUNT(*)::int AS n FROM public."${table}"`);
    counts[table] = Number(row.n);
  }
  return counts;
}
