import { readdirSync, readFileSync } from "node:fs";

const taskset = Bun.which("taskset");

/** `taskset -c <cpu> …` where taskset exists and a CPU is given; the command as is otherwise. */
export function pinned(cpu: string | undefined, command: string[]): string[] {
  return cpu !== undefined && taskset ? [taskset, "-c", cpu, ...command] : command;
}

export function canPin(): boolean {
  return taskset !== null;
}

/** Resident set size of a process in MB, from /proc/<pid>/status (VmRSS); undefined when gone. */
export function rssMb(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

const clockTicks = 100;

/**
 * Time the process's main thread has spent so far runnable but waiting for a CPU, in ms (the
 * second field of /proc/<pid>/schedstat); undefined where the kernel does not keep it or the
 * process is gone. Over a run, that share of the wall time is time another process (Postgres,
 * the generator) held the server's core while the server had work.
 */
export function runQueueWaitMs(pid: number): number | undefined {
  try {
    const wait = Number(readFileSync(`/proc/${pid}/schedstat`, "utf8").split(" ")[1]);
    return Number.isFinite(wait) ? wait / 1e6 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * CPU time (user + system) a process has used so far, in ms, from /proc/<pid>/stat; 0 when gone.
 * Per request, this is what a route costs the server whatever else the machine is doing.
 */
export function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may contain spaces) start at state, field 3.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks;
  } catch {
    return 0;
  }
}

/** Pids of a process's direct children, from /proc (what `ps --ppid` shows). */
export function childPids(pid: number): number[] {
  try {
    const text = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim();
    return text === "" ? [] : text.split(/\s+/).map(Number);
  } catch {
    return [];
  }
}

/**
 * Polls `url` until it answers 200 (any status with `anyStatus`), or throws after `timeoutMs` (or
 * when `alive()` turns false).
 */
export async function waitUntilServing(
  url: string,
  timeoutMs: number,
  alive: () => boolean,
  anyStatus = false,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!alive()) throw new Error(`the process serving ${url} exited during start-up`);
    try {
      const response = await fetch(url);
      await response.arrayBuffer();
      if (response.ok || anyStatus) return;
    } catch {
      // Not listening yet.
    }
    await Bun.sleep(50);
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}

/** A port nobody listens on right now: bind port 0, read it, let it go. */
export function freePort(): number {
  const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const { port } = probe;
  probe.stop(true);
  return port;
}

/** One-minute load average, to judge whether a run shared the machine with other work. */
export function loadAverage(): number | undefined {
  try {
    return Number(readFileSync("/proc/loadavg", "utf8").split(" ")[0]);
  } catch {
    return undefined;
  }
}

/** Pids of the run's Postgres backends (their title names its database) and of the Redis on `redisPort`. */
function dependencyPids(databaseName: string, redisPort: string): { postgres: number[]; redis: number[] } {
  const postgres: number[] = [];
  const redis: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let title: string;
    try {
      title = readFileSync(`/proc/${entry}/cmdline`, "utf8");
    } catch {
      continue;
    }
    if (title.startsWith("postgres:") && title.includes(` ${databaseName} `)) postgres.push(Number(entry));
    else if (title.startsWith("redis-server") && title.includes(`:${redisPort}`)) redis.push(Number(entry));
  }
  return { postgres, redis };
}

/**
 * CPU ms used so far by the processes serving the run besides the server: the Postgres backends of
 * its database, and the Redis on `redisPort`, which other clients may share.
 */
export function dependencyCpuMs(databaseName: string, redisPort: string): { postgres: number; redis: number } {
  const pids = dependencyPids(databaseName, redisPort);
  const sum = (list: number[]) => list.reduce((total, pid) => total + cpuMs(pid), 0);
  return { postgres: sum(pids.postgres), redis: sum(pids.redis) };
}

/**
 * Moves the Redis on `redisPort` (every thread) off the server's CPU onto `cpu`, the generator's:
 * the peers make a Redis call per request, and on the server's core that Redis would take the
 * peer's own time. Postgres stays where the kernel puts it: the search scenario is bound by
 * Postgres' CPU, and on one core (with the generator) it would run at half its rate; the API's
 * usage rows are its own cost. Returns a function that gives Redis, which outlives the run, its
 * CPUs back.
 */
export function pinRedis(redisPort: string, cpu: string): () => void {
  if (!taskset) return () => {};
  const { redis } = dependencyPids("", redisPort);
  const setAffinity = (pid: number, cpus: string) =>
    Bun.spawnSync([taskset as string, "-a", "-p", "-c", cpus, String(pid)], { stdout: "ignore", stderr: "ignore" });
  for (const pid of redis) setAffinity(pid, cpu);
  const all = `0-${Math.max(0, navigator.hardwareConcurrency - 1)}`;
  return () => {
    for (const pid of redis) setAffinity(pid, all);
  };
}
