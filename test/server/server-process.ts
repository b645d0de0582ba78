import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";

const root = join(import.meta.dir, "..", "..");

export interface ServerProcess {
  child: Subprocess<"ignore", "pipe", "pipe">;
  base: string;
  port: number;
  /** stdout so far (the access log in production). */
  stdout(): string;
  /** stderr so far (the structured log). */
  stderr(): string;
  /** Kills the process if it still runs and removes its data directory. */
  dispose(): Promise<void>;
}

/** A port nobody listens on right now: bind port 0, read it, let it go. */
export function freePort(): number {
  const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const { port } = probe;
  probe.stop(true);
  return port;
}

/**
 * `bun src/server.ts` as production runs it, with its own SQLite file, answering on a free port.
 * Resolves once /health answers. `.env` files are ignored so a developer's settings cannot leak in.
 */
export async function startServer(
  env: Record<string, string>,
  options: { startMs?: number; probeAgent?: string } = {},
): Promise<ServerProcess> {
  const dir = mkdtempSync(join(tmpdir(), "revenue-api-"));
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
  const server: ServerProcess = {
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
  const deadline = Date.now() + (options.startMs ?? 5000);
  const headers = options.probeAgent ? { "user-agent": options.probeAgent } : undefined;
  while (Date.now() < deadline && child.exitCode === null) {
    const health = await fetch(`${base}/health`, { headers }).catch(() => undefined);
    if (health?.ok) return server;
    await Bun.sleep(25);
  }
  await server.dispose();
  throw new Error(`server did not start: ${err.text()}`);
}

function collect(stream: ReadableStream<Uint8Array>) {
  let text = "";
  const decoder = new TextDecoder();
  void (async () => {
    for await (const chunk of stream) text += decoder.decode(chunk, { stream: true });
  })();
  return { text: () => text };
}
