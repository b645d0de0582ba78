import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const repo = resolve(import.meta.dir, "../..");
const bun = join(repo, "node_modules/.bin/bun");

/**
 * `npm run dev` is `bun --watch src/server.ts`. The test runs the same watch loop on an entry that
 * builds the app exactly as server.ts does (loadConfig → buildDependencies → createApp) plus one
 * route whose answer comes from a sibling file, then edits that file, so no real source is touched.
 */
function entrySource(): string {
  const src = (file: string) => JSON.stringify(join(repo, "src", file));
  return `import { createApp } from ${src("app")};
import { loadConfig } from ${src("config")};
import { buildDependencies } from ${src("dependencies")};
import { createLogger } from ${src("observability/logger")};
import { message } from "./message";

const config = loadConfig();
const deps = await buildDependencies(config, createLogger());
createApp(deps.app)
  .get("/dev-message", () => ({ success: true, data: { message } }))
  .listen({ port: config.port, hostname: "127.0.0.1" });
`;
}

async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => done(typeof address === "object" && address ? address.port : 0));
    });
  });
}

async function waitForMessage(base: string, expected: string, timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${base}/dev-message`, { signal: AbortSignal.timeout(1000) });
      const body = (await response.json()) as { data: { message: string } };
      last = body.data.message;
      if (last === expected) return last;
    } catch {
      // Not listening yet, or restarting.
    }
    await Bun.sleep(100);
  }
  return last;
}

describe("npm run dev", () => {
  let dir: string;
  let child: ChildProcess | undefined;
  let base: string;
  let output = "";

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "revenue-api-watch-"));
    await writeFile(join(dir, "entry.ts"), entrySource());
    await writeFile(join(dir, "message.ts"), 'export const message = "before";\n');
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    // Its own process group, so the watcher and anything it starts are ended together.
    child = spawn(bun, ["--watch", join(dir, "entry.ts")], {
      cwd: repo,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        NODE_ENV: "development",
        PORT: String(port),
        DATABASE_URL: `sqlite://${join(dir, "dev.db")}`,
        LOG_FORMAT: "none",
      },
    });
    child.stdout?.on("data", (chunk) => (output += chunk));
    child.stderr?.on("data", (chunk) => (output += chunk));
  });

  afterAll(async () => {
    if (child?.pid !== undefined && child.exitCode === null) {
      const exited = new Promise((done) => child?.once("exit", done));
      process.kill(-child.pid, "SIGKILL");
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  });

  test("the dev script runs the server under bun --watch", async () => {
    const pkg = (await Bun.file(join(repo, "package.json")).json()) as { scripts: Record<string, string> };
    expect(pkg.scripts.dev).toBe("NODE_ENV=development bun --watch src/server.ts");
  });

  test("restarts on a change to an imported file and serves the new code on the same port", async () => {
    expect(await waitForMessage(base, "before"), output).toBe("before");
    await writeFile(join(dir, "message.ts"), 'export const message = "after";\n');
    expect(await waitForMessage(base, "after"), output).toBe("after");
  }, 40_000);
});
