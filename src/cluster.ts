/**
 * npm run start:cluster: one primary and CLUSTER_WORKERS (default: one per CPU) `src/server.ts`
 * workers sharing PORT through SO_REUSEPORT, so one container uses every core. The primary
 * validates the configuration and applies migrations once, before any worker starts (workers
 * run with MIGRATE_ON_START=false); it serves nothing itself. A worker that dies is started again
 * after a backoff; when workers keep dying (more than `maxCrashes` within `crashWindowMs`) the
 * primary stops the rest and exits 1, so the orchestrator sees a broken deployment. SIGTERM or
 * SIGINT goes to every worker, each drains as src/shutdown.ts does, and the primary exits 0 when
 * all of them did.
 */

import { availableParallelism } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { type Config, ConfigError, loadConfig } from "./config";
import { openDatabase } from "./db/database";
import { migrate } from "./db/migrate";
import { createLogger } from "./observability/logger";
import { exitOnStartupFailure } from "./startup-failure";

const restartDelayMs = { first: 100, max: 5000 };
const maxCrashes = 5;
const crashWindowMs = 60_000;
// Past the workers' own drain (delay + timeout), the primary stops waiting and kills what is left.
const stopGraceMs = 5000;

const logger = createLogger();
const workerEntry = join(import.meta.dir, "server.ts");

interface Worker {
  slot: number;
  process: Subprocess;
}

async function main() {
  const config = loadConfig();
  const count = workerCount(process.env.CLUSTER_WORKERS);
  const db = openDatabase(config.databaseUrl, { poolMax: 1, prepare: config.dbPrepare });
  try {
    const applied = await migrate(db);
    if (applied.length > 0) logger.info("applied migrations", { applied });
  } finally {
    await db.close();
  }
  supervise(count, workerEnvironment(config), config.shutdownDelayMs + config.shutdownTimeoutMs + stopGraceMs);
}

function supervise(count: number, env: Record<string, string | undefined>, stopTimeoutMs: number) {
  const workers = new Map<number, Worker>();
  const crashes: number[] = [];
  const restarts = new Set<ReturnType<typeof setTimeout>>();
  let stopping = false;
  let stopSignal: NodeJS.Signals | undefined;
  let failed = false;

  const start = (slot: number) => {
    const child: Subprocess = Bun.spawn([process.execPath, workerEntry], {
      env,
      stdio: ["ignore", "inherit", "inherit"],
      onExit: (_, exitCode, signalCode): void => exited(slot, child, exitCode, signalCode ?? null),
    });
    workers.set(slot, { slot, process: child });
    logger.info("worker started", { slot, pid: child.pid });
  };

  const exited = (slot: number, child: Subprocess, code: number | null, signal: number | string | null) => {
    if (workers.get(slot)?.process === child) workers.delete(slot);
    if (stopping) {
      // Killed by the very signal it was sent: it was still starting and had nothing to drain.
      if (code !== 0 && signal !== stopSignal) failed = true;
      logger.info("worker stopped", { slot, pid: child.pid, code, signal });
      if (workers.size === 0) finish(failed ? 1 : 0);
      return;
    }
    const now = Date.now();
    crashes.push(now);
    while ((crashes[0] ?? now) <= now - crashWindowMs) crashes.shift();
    if (crashes.length > maxCrashes) {
      logger.error("workers keep exiting; giving up", { crashes: crashes.length, withinMs: crashWindowMs });
      stop("SIGTERM", true);
      return;
    }
    const delay = Math.min(restartDelayMs.first * 2 ** (crashes.length - 1), restartDelayMs.max);
    logger.warn("worker exited; starting another", { slot, pid: child.pid, code, signal, restartInMs: delay });
    const timer = setTimeout(() => {
      restarts.delete(timer);
      if (!stopping) start(slot);
    }, delay);
    restarts.add(timer);
  };

  const stop = (signal: NodeJS.Signals, givingUp = false) => {
    if (stopping) {
      // A second signal: the workers exit at once (src/shutdown.ts), and so does the primary.
      for (const worker of workers.values()) worker.process.kill(signal);
      return;
    }
    stopping = true;
    stopSignal = signal;
    failed = givingUp;
    for (const timer of restarts) clearTimeout(timer);
    restarts.clear();
    logger.info("stopping workers", { signal, workers: workers.size });
    if (workers.size === 0) return finish(failed ? 1 : 0);
    for (const worker of workers.values()) worker.process.kill(signal);
    setTimeout(() => {
      logger.error("workers did not stop in time; killing them", { workers: workers.size });
      for (const worker of workers.values()) worker.process.kill("SIGKILL");
    }, stopTimeoutMs).unref();
  };

  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  for (let slot = 0; slot < count; slot++) start(slot);
  logger.info("cluster started", { workers: count, primary: process.pid });
}

function finish(code: number): never {
  logger.info("cluster stopped", { code });
  logger.flush();
  process.exit(code);
}

/** What every worker gets: the primary's environment, one shared port, no migrations of its own. */
function workerEnvironment(config: Config): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {
    ...process.env,
    REUSE_PORT: "true",
    MIGRATE_ON_START: "false",
    PORT: String(config.port),
  };
  if (config.port === 0) {
    // Port 0 would give every worker a port of its own: pick one for all of them.
    const probe = Bun.listen({ hostname: config.host, port: 0, socket: { data() {} } });
    env.PORT = String(probe.port);
    probe.stop(true);
  }
  if (config.jwt.generated) {
    // Development without secrets: one pair for all workers, or a token from one fails at another.
    env.JWT_SECRET = config.jwt.accessSecret;
    env.JWT_REFRESH_SECRET = config.jwt.refreshSecret;
  }
  return env;
}

function workerCount(raw: string | undefined): number {
  if (raw === undefined || raw.trim() === "") return availableParallelism();
  if (!/^\d+$/.test(raw.trim()) || Number(raw) < 1 || Number(raw) > 256) {
    throw new ConfigError("CLUSTER_WORKERS", `must be a whole number between 1 and 256, got "${raw}"`);
  }
  return Number(raw);
}

main().catch((error) => exitOnStartupFailure(error, logger));
