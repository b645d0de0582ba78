import { closeSync, mkdirSync, openSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { childPids, cpuMs, freePort, pinned, rssMb, runQueueWaitMs, waitUntilServing } from "./processes";

export interface ServerOptions {
  /** `single`: bun src/server.ts; `cluster`: bun src/cluster.ts (CLUSTER_WORKERS in env). */
  mode: "single" | "cluster";
  env: Record<string, string>;
  /** CPU list for taskset; undefined runs unpinned. */
  cpu?: string;
  /** Where the run's logs go: <label>.access.log (stdout, the access log) and <label>.stderr.log. */
  logDir: string;
  label: string;
  /** Write a .cpuprofile of the server process here when it exits (Bun's --cpu-prof). */
  profileDir?: string;
  /** The tree to run (another checkout, for comparisons); defaults to this one. */
  cwd?: string;
}

export interface RunningServer {
  pid: number;
  base: string;
  /** RSS in MB of the process, or of all workers together in cluster mode. */
  rssMb(): number;
  /** CPU time used so far in ms (the workers' together in cluster mode). */
  cpuMs(): number;
  /** Run-queue wait of the main thread so far in ms (the workers' mean in cluster mode). */
  waitMs(): number | undefined;
  /** Access-log bytes written so far. */
  accessLogBytes(): number;
  stderrTail(lines?: number): string;
  /** SIGTERM, then the exit code (SIGKILL after `timeoutMs`). */
  stop(timeoutMs?: number): Promise<number | null>;
}

const root = join(import.meta.dir, "..");

/** Starts the API as production runs it, its stdout (the access log) and stderr in files. */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  mkdirSync(options.logDir, { recursive: true });
  const accessPath = join(options.logDir, `${options.label}.access.log`);
  const stderrPath = join(options.logDir, `${options.label}.stderr.log`);
  const stdoutFd = openSync(accessPath, "w");
  const stderrFd = openSync(stderrPath, "w");
  const port = freePort();
  const profile = options.profileDir
    ? ["--cpu-prof", `--cpu-prof-dir=${options.profileDir}`, `--cpu-prof-name=${options.label}.cpuprofile`]
    : [];
  const entry = options.mode === "cluster" ? "src/cluster.ts" : "src/server.ts";
  const child = Bun.spawn(pinned(options.cpu, [process.execPath, ...profile, "--no-env-file", entry]), {
    cwd: options.cwd ?? root,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "/tmp",
      HOST: "127.0.0.1",
      PORT: String(port),
      ...options.env,
    },
    stdin: "ignore",
    stdout: stdoutFd,
    stderr: stderrFd,
  });
  closeSync(stdoutFd);
  closeSync(stderrFd);
  const base = `http://127.0.0.1:${port}`;
  const stderrTail = (lines = 20) => readFileSync(stderrPath, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  try {
    await waitUntilServing(`${base}/health`, 20_000, () => child.exitCode === null);
  } catch (error) {
    child.kill("SIGKILL");
    await child.exited;
    throw new Error(`${options.label} did not start: ${(error as Error).message}\n${stderrTail()}`);
  }
  const pids = () => (options.mode === "cluster" ? childPids(child.pid) : [child.pid]);
  return {
    pid: child.pid,
    base,
    rssMb: () => pids().reduce((sum, pid) => sum + (rssMb(pid) ?? 0), 0),
    cpuMs: () => pids().reduce((sum, pid) => sum + cpuMs(pid), 0),
    waitMs: () => {
      const waits = pids().map(runQueueWaitMs);
      if (waits.length === 0 || waits.some((wait) => wait === undefined)) return undefined;
      return (waits as number[]).reduce((sum, wait) => sum + wait, 0) / waits.length;
    },
    accessLogBytes: () => statSync(accessPath).size,
    stderrTail,
    async stop(timeoutMs = 15_000) {
      if (child.exitCode !== null) return child.exitCode;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
      await child.exited;
      clearTimeout(timer);
      return child.exitCode;
    },
  };
}
