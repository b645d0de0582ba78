import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { freePort } from "../../server/server-process";

const root = join(import.meta.dir, "..", "..", "..");

/** Production settings the reliability scenarios share; each scenario adds its database and limits. */
export const productionEnv: Record<string, string> = {
  NODE_ENV: "production",
  JWT_SECRET: "reliability-access-secret-0123456789abcdef",
  JWT_REFRESH_SECRET: "reliability-refresh-secret-0123456789abcdef",
  // Load comes from one address: the general limit must not be what the scenario measures.
  RATE_LIMIT_MAX: "10000000",
  USAGE_TRACKING: "true",
  LOG_FORMAT: "combined",
};

export interface RunningServer {
  child: Subprocess<"ignore", "pipe", "pipe">;
  base: string;
  port: number;
  /** stdout so far: the access log in production. */
  stdout(): string;
  /** stderr so far: the structured log. */
  stderr(): string;
  /** Kills the process if it still runs and removes its scratch directory. */
  dispose(): Promise<void>;
}

/**
 * `bun src/server.ts` as a subprocess on a free port, like test/server/server-process.ts, but
 * keeping stdout (the access log) and taking any DATABASE_URL. Resolves once /health answers;
 * those polls carry a user agent of their own so scenarios can tell them from their load.
 */
export async function spawnServer(env: Record<string, string>, startMs = 10_000): Promise<RunningServer> {
  const dir = mkdtempSync(join(tmpdir(), "revenue-api-reliability-"));
  const port = freePort();
  const child = Bun.spawn([process.execPath, "--no-env-file", "src/server.ts"], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? dir,
      HOST: "127.0.0.1",
      PORT: String(port),
      DATABASE_URL: `sqlite://${dir}/app.db`,
      ...env,
    },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const out = collect(child.stdout);
  const err = collect(child.stderr);
  const base = `http://127.0.0.1:${port}`;
  const server: RunningServer = {
    child,
    base,
    port,
    stdout: out.text,
    stderr: err.text,
    async dispose() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await child.exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
  const deadline = Date.now() + startMs;
  while (Date.now() < deadline && child.exitCode === null) {
    const health = await fetch(`${base}/health`, { headers: { "user-agent": startupAgent } }).catch(() => undefined);
    if (health?.ok) return server;
    await Bun.sleep(25);
  }
  await server.dispose();
  throw new Error(`server did not start: ${err.text()}`);
}

export const startupAgent = "reliability-startup-probe";

/** Waits for the process to exit; resolves with its code, or undefined if it outlived `withinMs`. */
export async function exitWithin(server: RunningServer, withinMs: number): Promise<number | undefined> {
  const timer = Bun.sleep(withinMs).then(() => undefined);
  return Promise.race([server.child.exited, timer]);
}

function collect(stream: ReadableStream<Uint8Array>) {
  let text = "";
  const decoder = new TextDecoder();
  void (async () => {
    for await (const chunk of stream) text += decoder.decode(chunk, { stream: true });
  })();
  return { text: () => text };
}
