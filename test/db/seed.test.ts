import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { migrations } from "../../src/db/migrations";
import { ensureDevelopmentSeed, seedDatabase } from "../../src/db/seed";
import { createUserRepository } from "../../src/modules/users/repository";
import { createTestDatabase, dialects, type TestDatabase } from "../helpers/database";

const cheapHash = { memoryCost: 1024, timeCost: 1 };
const root = join(import.meta.dir, "../..");

describe.each(dialects)("seedDatabase on %s", (dialect) => {
  let created: TestDatabase;
  beforeAll(async () => {
    created = await createTestDatabase(dialect);
  });
  afterAll(() => created.drop());

  test("creates an admin, a user and a viewer who can sign in, and 50 prospects", async () => {
    const env = { SEED_ADMIN_PASSWORD: "admin-secret-1", SEED_VIEWER_EMAIL: "Watcher@Example.com" };
    const result = await seedDatabase(created.db, { env, hash: cheapHash });
    expect(result.created).toBe(true);
    expect(result.prospects).toBe(50);
    expect(result.users.map(({ email, role }) => ({ email, role }))).toEqual([
      { email: "admin@example.com", role: "admin" },
      { email: "user@example.com", role: "user" },
      { email: "Watcher@Example.com", role: "viewer" },
    ]);
    expect(result.users[0]?.password).toBe("admin-secret-1");
    expect(result.users[1]?.password.length).toBeGreaterThanOrEqual(16);

    const users = createUserRepository(created.db);
    for (const seeded of result.users) {
      const user = await users.findByEmail(seeded.email);
      expect(user).toMatchObject({ organizationId: result.organizationId, role: seeded.role });
      expect(await Bun.password.verify(seeded.password, user?.passwordHash ?? "")).toBe(true);
    }
    const rows: { status: string; score: number }[] = await created.db.sql`
      select status, score from prospects where organization_id = ${result.organizationId}`;
    expect(rows).toHaveLength(50);
    expect(new Set(rows.map((row) => row.status)).size).toBe(6);
    expect(new Set(rows.map((row) => row.score)).size).toBeGreaterThan(20);
  });

  test("does nothing the second time", async () => {
    const again = await seedDatabase(created.db, { hash: cheapHash });
    expect(again).toMatchObject({ created: false, users: [], prospects: 0 });
    const [row] = await created.db.sql`select count(*) as n from users`;
    expect(Number((row as { n: unknown }).n)).toBe(3);
  });
});

describe("ensureDevelopmentSeed", () => {
  test("seeds an empty database once and logs the credentials", async () => {
    const created = await createTestDatabase("sqlite");
    try {
      const lines: string[] = [];
      const first = await ensureDevelopmentSeed(created.db, (line) => lines.push(line), { hash: cheapHash });
      expect(first?.created).toBe(true);
      expect(lines.join("\n")).toContain("admin@example.com");
      expect(lines.join("\n")).toContain(first?.users[0]?.password ?? "missing");
      expect(await ensureDevelopmentSeed(created.db, (line) => lines.push(line))).toBeUndefined();
    } finally {
      await created.drop();
    }
  });
});

describe("the npm scripts", () => {
  let created: TestDatabase;
  beforeAll(async () => {
    created = await createTestDatabase("sqlite", { file: true, migrate: false });
    await created.db.close();
  });
  afterAll(() => created.drop());

  const run = (script: string, args: string[], env: Record<string, string> = {}) => {
    const result = Bun.spawnSync([process.execPath, join(root, "scripts", script), ...args], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: created.url, NODE_ENV: "development", ...env },
    });
    return { code: result.exitCode, stdout: result.stdout.toString(), stderr: result.stderr.toString() };
  };
  const userArgs = (email: string, extra: string[] = []) => [
    "--email",
    email,
    "--password",
    "correct-horse",
    "--role",
    "admin",
    "--organization",
    "Hooli",
    ...extra,
  ];

  test("migrate applies the migrations, then reports the database up to date", () => {
    const names = migrations.sqlite.map((migration) => migration.name).join(", ");
    expect(run("migrate.ts", [])).toMatchObject({ code: 0, stdout: `Applied ${names}.\n` });
    expect(run("migrate.ts", [])).toMatchObject({ code: 0, stdout: "Database is up to date.\n" });
  });

  test("user:create creates the user and the organization", async () => {
    const result = run("user-create.ts", userArgs("gavin@hooli.xyz"));
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(result.stdout).toContain("Created admin gavin@hooli.xyz");
    expect(result.stdout).toContain('"Hooli"');
  });

  test.each([
    ["a bad email", userArgs("not-an-email"), 'error: --email: "not-an-email" is not an email address\n'],
    [
      "a taken email",
      userArgs("GAVIN@hooli.xyz"),
      "error: --email: a user with email GAVIN@hooli.xyz already exists\n",
    ],
    [
      "a short password",
      ["--email", "a@b.co", "--password", "short", "--organization", "X"],
      "error: --password: must be at least 8 characters\n",
    ],
    ["an unknown role", userArgs("c@d.co", ["--role", "owner"]), "error: --role: must be one of viewer, user, admin\n"],
  ])("user:create exits 1 with one line on %s", (_, args, line) => {
    expect(run("user-create.ts", args)).toMatchObject({ code: 1, stdout: "", stderr: line });
  });

  test("seed refuses production without --force", () => {
    const result = run("seed.ts", [], { NODE_ENV: "production" });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe("error: refusing to seed with NODE_ENV=production; pass --force to seed anyway\n");
  });

  test("seed prints the credentials once, then leaves a seeded database alone", () => {
    const env = { SEED_ADMIN_PASSWORD: "admin-pass-123" };
    const first = run("seed.ts", [], env);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain("admin@example.com");
    expect(first.stdout).toContain("admin-pass-123");
    const second = run("seed.ts", [], env);
    expect(second).toMatchObject({ code: 0 });
    expect(second.stdout).not.toContain("admin-pass-123");
  });

  test("seed runs in production when given --force", () => {
    const result = run("seed.ts", ["--force"], { NODE_ENV: "production" });
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(result.stdout).toStartWith("Already seeded");
  });
});
