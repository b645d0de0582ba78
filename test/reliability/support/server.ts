import { type ServerProcess, startServer } from "../../server/server-process";

/** Production settings the reliability scenarios share; each scenario adds its database and limits. */
export const productionEnv: Record<string, string> = {
  NODE_ENV: "production",
  JWT_SECRET: "reliability-access-secret-0123456789abcdef",
  JWT_REFRESH_SECRET: "reliability-refresh-secret-0123456789abcdef",
  METRICS_TOKEN: "reliability-metrics-token-0123456789abcdef",
  // Load comes from one address: the general limit must not be what the scenario measures.
  RATE_LIMIT_MAX: "10000000",
  USAGE_TRACKING: "true",
  LOG_FORMAT: "combined",
};

export type RunningServer = ServerProcess;

/**
 * `bun src/server.ts` on a free port (test/server/server-process.ts), with any DATABASE_URL; its
 * /health polls carry a user agent of their own so scenarios can tell them from their load.
 */
export function spawnServer(env: Record<string, string>, startMs = 10_000): Promise<RunningServer> {
  return startServer(env, { startMs, probeAgent: startupAgent });
}

export const startupAgent = "reliability-startup-probe";

/** Waits for the process to exit; resolves with its code, or undefined if it outlived `withinMs`. */
export async function exitWithin(server: RunningServer, withinMs: number): Promise<number | undefined> {
  const timer = Bun.sleep(withinMs).then(() => undefined);
  return Promise.race([server.child.exited, timer]);
}
