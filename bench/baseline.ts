import { join } from "node:path";
import { cpuMs, freePort, pinned, waitUntilServing } from "./processes";

export interface BaselineServer {
  base: string;
  cpuMs(): number;
  stop(): Promise<void>;
}

/** Starts bench/baseline-server.ts in its own process, on the server's CPU. */
export async function startBaseline(cpu: string | undefined): Promise<BaselineServer> {
  const port = freePort();
  const child = Bun.spawn(pinned(cpu, [process.execPath, join(import.meta.dir, "baseline-server.ts")]), {
    env: { PATH: process.env.PATH ?? "", PORT: String(port) },
    stdin: "ignore",
    stdout: "ignore",
    stderr: "inherit",
  });
  const base = `http://127.0.0.1:${port}`;
  await waitUntilServing(`${base}/`, 10_000, () => child.exitCode === null);
  return {
    base,
    cpuMs: () => cpuMs(child.pid),
    async stop() {
      child.kill("SIGTERM");
      await child.exited;
    },
  };
}
