import { cpuMs, freePort, pinned, rssMb, runQueueWaitMs, waitUntilServing } from "./processes";

/** A server process the bench starts besides the API: the baseline, a ceiling replay, a peer. */
export interface HelperServer {
  pid: number;
  base: string;
  cpuMs(): number;
  /** Its main thread's run-queue wait so far, in ms (see runQueueWaitMs). */
  waitMs(): number | undefined;
  rssMb(): number;
  stop(): Promise<void>;
}

export interface HelperOptions {
  command: string[];
  /** CPU list for taskset; undefined runs unpinned. */
  cpu?: string;
  cwd?: string;
  env?: Record<string, string>;
  /** Polled until it answers; `anyStatus` when an unauthenticated request is refused (peers). */
  readyPath: string;
  anyStatus?: boolean;
}

/** Starts `command` with PORT set to a free port and waits until it serves. */
export async function startHelper(options: HelperOptions): Promise<HelperServer> {
  const port = freePort();
  const child = Bun.spawn(pinned(options.cpu, options.command), {
    cwd: options.cwd,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...options.env, PORT: String(port) },
    stdin: "ignore",
    stdout: "ignore",
    stderr: "inherit",
  });
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitUntilServing(`${base}${options.readyPath}`, 20_000, () => child.exitCode === null, options.anyStatus);
  } catch (error) {
    child.kill("SIGKILL");
    await child.exited;
    throw error;
  }
  return {
    pid: child.pid,
    base,
    cpuMs: () => cpuMs(child.pid),
    waitMs: () => runQueueWaitMs(child.pid),
    rssMb: () => rssMb(child.pid) ?? 0,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await child.exited;
      clearTimeout(timer);
    },
  };
}
