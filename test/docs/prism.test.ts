import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { openDatabase } from "../../src/db/database";
import { migrate } from "../../src/db/migrate";
import { seedDatabase } from "../../src/db/seed";
import { freePort, type ServerProcess, startServer } from "../server/server-process";

/**
 * Prism (@stoplight/prism-cli) as a validating proxy in front of a running server, with the
 * document that server serves: every request and response of the seed's flows goes through it,
 * and Prism reports what it finds against the document in an `sl-violations` header.
 */

interface Violation {
  location: string[];
  severity: string;
  message: string;
}

const root = join(import.meta.dir, "..", "..");
const dir = mkdtempSync(join(tmpdir(), "prism-"));
const databaseUrl = `sqlite://${join(dir, "app.db")}`;
const user = { email: "user@example.com", password: "password123" };
let server: ServerProcess;
let prism: Subprocess<"ignore", "pipe", "pipe">;
let prismLog = "";
let base = "";
let served = "";

beforeAll(async () => {
  const db = openDatabase(databaseUrl);
  await migrate(db);
  await seedDatabase(db, {
    env: { SEED_USER_EMAIL: user.email, SEED_USER_PASSWORD: user.password },
    hash: { memoryCost: 64, timeCost: 1 },
    prospects: 3,
  });
  await db.close();
  server = await startServer(
    { NODE_ENV: "development", DATABASE_URL: databaseUrl, LOG_FORMAT: "none" },
    { startMs: 15_000 },
  );
  const file = join(dir, "openapi.json");
  await Bun.write(file, await (await fetch(`${server.base}/docs/json`)).text());

  served = await (await fetch(`${server.base}/docs/json`)).text();
  await Bun.write(file, served);
  ({ process: prism, base } = await startPrism(file, (line) => {
    prismLog += line;
  }));
}, 70_000);

async function startPrism(file: string, log: (text: string) => void) {
  const port = freePort();
  const child = Bun.spawn(
    [
      join(root, "node_modules", ".bin", "prism"),
      "proxy",
      file,
      server.base,
      "--host",
      "127.0.0.1",
      "--port",
      String(port),
    ],
    { cwd: root, stdin: "ignore", stdout: "pipe", stderr: "pipe", env: { ...process.env, NO_COLOR: "1" } },
  );
  let output = "";
  void (async () => {
    for await (const chunk of child.stdout) {
      const text = new TextDecoder().decode(chunk);
      output += text;
      log(text);
    }
  })();
  const deadline = Date.now() + 45_000;
  while (!output.includes("Prism is listening")) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`Prism did not start:\n${output}`);
    await Bun.sleep(100);
  }
  return { process: child, base: `http://127.0.0.1:${port}` };
}

afterAll(async () => {
  prism?.kill();
  await prism?.exited;
  await server?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

async function call(
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
) {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(`${base}${path}`, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const violations = JSON.parse(response.headers.get("sl-violations") ?? "[]") as Violation[];
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined, violations };
}

const describeViolations = (violations: Violation[]) =>
  violations.map((v) => `${v.severity} ${v.location.join(".")}: ${v.message}`);

describe("Prism, validating proxy, over the seed's flows", () => {
  const session = { access: "", refresh: "", prospectId: "" };

  test("login, refresh and /me: no violation", async () => {
    const login = await call("POST", "/api/v1/auth/login", { body: user });
    expect({ status: login.status, violations: describeViolations(login.violations) }).toEqual({
      status: 200,
      violations: [],
    });
    session.refresh = login.body.data.refreshToken;

    const refresh = await call("POST", "/api/v1/auth/refresh", { body: { refreshToken: session.refresh } });
    expect({ status: refresh.status, violations: describeViolations(refresh.violations) }).toEqual({
      status: 200,
      violations: [],
    });
    session.access = refresh.body.data.accessToken;

    const me = await call("GET", "/api/v1/me", { token: session.access });
    expect({ status: me.status, violations: describeViolations(me.violations) }).toEqual({
      status: 200,
      violations: [],
    });
    expect(me.body.data.user.email).toBe(user.email);
  }, 20_000);

  test("list, create with an Idempotency-Key (and its replay), get, update, search: no violation", async () => {
    const list = await call("GET", "/api/v1/prospects?limit=10&sort=-createdAt", { token: session.access });
    expect({ status: list.status, violations: describeViolations(list.violations) }).toEqual({
      status: 200,
      violations: [],
    });

    const key = { "idempotency-key": `prism-${Date.now()}` };
    const prospect = { email: "prism@example.com", firstName: "Pri", company: "Prism Corp", tags: ["proxy"] };
    const created = await call("POST", "/api/v1/prospects", { token: session.access, body: prospect, headers: key });
    expect({ status: created.status, violations: describeViolations(created.violations) }).toEqual({
      status: 201,
      violations: [],
    });
    session.prospectId = created.body.data.id;
    const replay = await call("POST", "/api/v1/prospects", { token: session.access, body: prospect, headers: key });
    expect({ status: replay.status, violations: describeViolations(replay.violations) }).toEqual({
      status: 201,
      violations: [],
    });
    expect(replay.body.data.id).toBe(session.prospectId);

    const got = await call("GET", `/api/v1/prospects/${session.prospectId}`, { token: session.access });
    expect({ status: got.status, violations: describeViolations(got.violations) }).toEqual({
      status: 200,
      violations: [],
    });

    const updated = await call("PATCH", `/api/v1/prospects/${session.prospectId}`, {
      token: session.access,
      body: { status: "contacted", score: 80 },
    });
    expect({ status: updated.status, violations: describeViolations(updated.violations) }).toEqual({
      status: 200,
      violations: [],
    });

    const search = await call("GET", "/api/v1/search?q=prism&limit=5", { token: session.access });
    expect({ status: search.status, violations: describeViolations(search.violations) }).toEqual({
      status: 200,
      violations: [],
    });
    expect(search.body.data.map((hit: { id: string }) => hit.id)).toContain(session.prospectId);
  }, 20_000);

  test("404 for an unknown prospect: no violation", async () => {
    const missing = await call("GET", "/api/v1/prospects/no-such-prospect", { token: session.access });
    expect({ status: missing.status, violations: describeViolations(missing.violations) }).toEqual({
      status: 404,
      violations: [],
    });
  });

  test("422 and 401: the response conforms; Prism names only the request's own fault", async () => {
    const invalid = await call("POST", "/api/v1/prospects", { token: session.access, body: { email: "not an email" } });
    expect(invalid.status).toBe(422);
    expect(invalid.body.errors.email).toBeArray();
    expect(invalid.violations.filter((v) => v.location[0] !== "request")).toEqual([]);
    expect(invalid.violations.map((v) => v.location.join("."))).toEqual(["request.body.email"]);

    const anonymous = await call("GET", "/api/v1/me");
    expect(anonymous.status).toBe(401);
    expect(anonymous.violations.filter((v) => v.location[0] !== "request")).toEqual([]);
    expect(anonymous.violations.map((v) => v.message)).toEqual(["Invalid security scheme used"]);
  });

  test("Prism logged no response violation over all of it", () => {
    expect(prismLog).not.toMatch(/Violation: response/);
  });

  test("and it would have: against a document whose /me promises a field the API never sends, Prism reports the response", async () => {
    const document = JSON.parse(served);
    const me = document.paths["/api/v1/me"].get.responses["200"].content["application/json"].schema;
    me.properties.data.required = [...(me.properties.data.required ?? []), "promised"];
    const file = join(dir, "drifted.json");
    await Bun.write(file, JSON.stringify(document));
    const drifted = await startPrism(file, () => {});
    try {
      const response = await fetch(`${drifted.base}/api/v1/me`, {
        headers: { authorization: `Bearer ${session.access}` },
      });
      expect(response.status).toBe(200);
      const violations = JSON.parse(response.headers.get("sl-violations") ?? "[]") as Violation[];
      expect(violations.map((v) => v.location.slice(0, 2).join("."))).toContain("response.body");
    } finally {
      drifted.process.kill();
      await drifted.process.exited;
    }
  }, 60_000);
});
