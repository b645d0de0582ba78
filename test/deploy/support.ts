import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parseAllDocuments } from "yaml";

export const repoRoot = resolve(import.meta.dir, "../..");

/** The Bun running these tests: the one the Dockerfile pins and the deploy files start. */
export const bunBin = process.execPath;

export function readRepoFile(path: string): string {
  return readFileSync(join(repoRoot, path), "utf8");
}

export function makeTempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `revenue-api-deploy-${prefix}-`));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Every YAML document in a file, as plain objects; a syntax error throws. */
export function readYamlDocuments(path: string): Record<string, unknown>[] {
  return parseAllDocuments(readRepoFile(path)).map((doc) => {
    if (doc.errors.length > 0) throw new Error(`${path}: ${doc.errors[0]?.message}`);
    return doc.toJS() as Record<string, unknown>;
  });
}

/** A port nothing listens on right now (the OS picks it, we release it). */
export function freePort(): number {
  const probe = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const port = probe.port;
  probe.stop(true);
  if (port === undefined) throw new Error("the OS gave no port");
  return port;
}

/** The first of `count` consecutive free ports (PM2's per-instance ports are PORT, PORT+1, …). */
export function freePortRange(count: number): number {
  for (let attempt = 0; attempt < 20; attempt++) {
    const base = freePort();
    const taken = Array.from({ length: count - 1 }, (_, i) => base + 1 + i).some((port) => {
      try {
        Bun.serve({ port, hostname: "127.0.0.1", fetch: () => new Response() }).stop(true);
        return false;
      } catch {
        return true;
      }
    });
    if (!taken) return base;
  }
  throw new Error(`no ${count} consecutive free ports`);
}

/** Polls until `url` answers `status`, or throws with the last thing seen. */
export async function waitForStatus(url: string, status: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer";
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (response.status === status) return;
      last = `status ${response.status}`;
    } catch (error) {
      last = String(error);
    }
    await Bun.sleep(100);
  }
  throw new Error(`${url} did not answer ${status} within ${timeoutMs} ms (${last})`);
}

/** PATH with this Bun first, so `bun` in scripts and deploy files is the one under test. */
export function pathWithBun(): string {
  return `${dirname(bunBin)}:${join(repoRoot, "node_modules/.bin")}:${process.env.PATH ?? "/usr/bin:/bin"}`;
}

/**
 * Runs `npm run build` into `<app>/dist` of a fresh directory laid out like the image's /app
 * (dist/ beside node_modules/), so the artifact is run the way the container runs it.
 */
export async function buildApp(): Promise<string> {
  const script = buildScript();
  const appDir = makeTempDir("app");
  const outDir = join(appDir, "dist");
  const command = script.replaceAll("--outdir=dist", `--outdir=${outDir}`);
  const build = Bun.spawn(["sh", "-c", command], {
    cwd: repoRoot,
    env: { ...process.env, PATH: pathWithBun() },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [code, stderr] = await Promise.all([build.exited, new Response(build.stderr).text()]);
  if (code !== 0) {
    removeDir(appDir);
    throw new Error(`build failed (${code}): ${stderr}`);
  }
  symlinkSync(join(repoRoot, "node_modules"), join(appDir, "node_modules"));
  return appDir;
}

export function buildScript(): string {
  const pkg = JSON.parse(readRepoFile("package.json")) as { scripts?: Record<string, string> };
  const script = pkg.scripts?.build;
  if (!script) throw new Error('package.json has no "build" script');
  return script;
}

/** A binary on PATH, or in the sbin directories a non-root PATH often lacks (nginx lives there). */
export function findTool(name: string): string | null {
  return Bun.which(name) ?? ["/usr/sbin", "/sbin", "/usr/bin"].map((d) => join(d, name)).find(existsSync) ?? null;
}

/**
 * A test that needs an external tool: skipped with a message on a developer machine without it,
 * a failure when CI is set (CI must have every tool the suite relies on).
 */
export function requireToolUnlessLocal(name: string): { path: string | null; skip: boolean } {
  const path = findTool(name);
  if (path) return { path, skip: false };
  if (process.env.CI) return { path: null, skip: false };
  console.warn(`skipping ${name} checks: ${name} is not installed (they run, and fail, when CI is set)`);
  return { path: null, skip: true };
}
