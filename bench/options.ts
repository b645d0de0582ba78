import { parseArgs } from "node:util";
import type { GeneratorRuntime } from "./generator";

export interface BenchOptions {
  mode: "quick" | "full";
  connections: number;
  durationSeconds: number;
  warmupSeconds: number;
  /** 0 in quick mode: no soak. */
  soakSeconds: number;
  /** Scenario ids to run (the baseline always runs); undefined = all. */
  only?: Set<string>;
  /** Write the API server's CPU profile and print its top functions. */
  profile: boolean;
  /** Run the API with the loop-delay preload and JSC's GC log, and report both (bench/stalls.ts). */
  stalls: boolean;
  generator?: GeneratorRuntime;
  prospects: number;
  clusterWorkers: number;
  postgresUrl: string;
  redisUrl: string;
  /** Extra settings for the API (experiments: what does the access log cost?); empty value = unset. */
  env: Record<string, string>;
}

export const scenarioIdList = [
  "health",
  "me-jwt",
  "me-api-key",
  "prospects-list",
  "prospects-list-fresh",
  "me-jwt-br",
  "prospects-list-br",
  "search",
  "prospects-create",
  "peers",
  "cluster-me-jwt",
  "soak",
];

export const usage = `npm run bench [-- options]
  --quick               a few minutes: short runs, no soak
  --only=a,b            run only these scenarios (ids: health, me-jwt, me-api-key, prospects-list,
                        prospects-list-fresh, me-jwt-br, prospects-list-br, search,
                        prospects-create, peers (needs me-jwt), cluster-me-jwt, soak); the
                        baseline always runs
  --profile             run the API under --cpu-prof and print its top self-time functions
  --stalls              event-loop delay, GC pauses and CPU by thread of the API (bench/stalls.ts)
  --generator=wrk|node|bun  wrk, or autocannon on node or bun (default: wrk when installed, else
                        autocannon on node when installed)
  --connections=N       default 50 (the targets assume 50)
  --duration=S          seconds per scenario (default 10, quick 4)
  --postgres=URL        admin URL of the Postgres to create bench_<timestamp> on
  --redis=URL           default redis://127.0.0.1:6379
  --env=KEY=VALUE       an extra API setting for an experiment, e.g. --env=LOG_FORMAT=none (repeatable;
                        KEY= removes a setting); targets still apply`;

export function parseOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: "boolean", default: false },
      only: { type: "string" },
      profile: { type: "boolean", default: false },
      stalls: { type: "boolean", default: false },
      generator: { type: "string" },
      connections: { type: "string" },
      duration: { type: "string" },
      postgres: { type: "string" },
      redis: { type: "string" },
      env: { type: "string", multiple: true },
      help: { type: "boolean", default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  if (values.generator !== undefined && !["wrk", "node", "bun"].includes(values.generator)) {
    throw new Error("--generator must be wrk, node or bun");
  }
  const quick = values.quick;
  return {
    mode: quick ? "quick" : "full",
    connections: positive("--connections", values.connections, 50),
    durationSeconds: positive("--duration", values.duration, quick ? 4 : 10),
    warmupSeconds: quick ? 1 : 3,
    soakSeconds: quick ? 0 : 60,
    only: values.only ? scenarioIds(values.only) : undefined,
    profile: values.profile,
    stalls: values.stalls,
    generator: values.generator as GeneratorRuntime | undefined,
    prospects: 3000,
    clusterWorkers: 2,
    postgresUrl: values.postgres ?? process.env.BENCH_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres",
    redisUrl: values.redis ?? process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379",
    env: Object.fromEntries((values.env ?? []).map(setting)),
  };
}

function positive(flag: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${flag} must be a whole number ≥ 1`);
  return value;
}

function setting(raw: string): [string, string] {
  const at = raw.indexOf("=");
  if (at < 1) throw new Error(`--env=${raw}: expected KEY=VALUE`);
  return [raw.slice(0, at), raw.slice(at + 1)];
}

function scenarioIds(raw: string): Set<string> {
  const ids = raw.split(",").map((s) => s.trim());
  const unknown = ids.filter((id) => !scenarioIdList.includes(id));
  if (unknown.length > 0) throw new Error(`--only: unknown ${unknown.join(", ")}; known: ${scenarioIdList.join(", ")}`);
  return new Set(ids);
}
