import { availableParallelism } from "node:os";

/**
 * Environment → typed Config, validated once at start-up. A bad setting throws ConfigError with
 * one line naming the variable and the rule; server.ts prints that line and exits 1.
 */
export type Environment = "development" | "production" | "test";
export type LogFormat = "combined" | "dev" | "json" | "none";
export type PolicyName = "general" | "auth" | "search" | "email" | "ai";

export interface PolicyConfig {
  max: number;
  windowMs: number;
}

export interface Config {
  env: Environment;
  port: number;
  host: string;
  reusePort: boolean;
  allowedOrigins: string[] | "localhost";
  databaseUrl: string;
  /** true when DATABASE_URL is unset and the embedded SQLite file is used. */
  embeddedDatabase: boolean;
  dbPoolMax: number;
  /** false for transaction-mode poolers (Supabase :6543) that cannot keep prepared statements. */
  dbPrepare: boolean;
  /** Deadline of every request-path query (DB_QUERY_TIMEOUT_MS); the Postgres connect timeout (DB_CONNECT_TIMEOUT_MS). */
  dbQueryTimeoutMs: number;
  dbConnectTimeoutMs: number;
  migrateOnStart: boolean;
  jwt: {
    accessSecret: string;
    refreshSecret: string;
    accessTtlSeconds: number;
    refreshTtlSeconds: number;
    issuer: string;
    audience: string;
    /** true when the secrets were generated for this process (development only). */
    generated: boolean;
  };
  /** argon2id cost; OWASP's minimum (19 MiB, 2 passes) by default. */
  passwordHash: { memoryCost: number; timeCost: number };
  /** Hashes computed at once, hashes allowed to wait, and how long one may wait before a 503. */
  passwordHashing: { concurrency: number; queueMax: number; waitMs: number };
  redisUrl?: string;
  /** Which Redis to use (REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES); undefined without one. */
  redis?: RedisTarget;
  sentryDsn?: string;
  release: string;
  rateLimits: Record<PolicyName, PolicyConfig>;
  /** Prepended to every rate-limit key in Redis, so deployments (and tests) sharing a Redis stay apart. */
  rateLimitPrefix: string;
  /** Busy keys take slices of their quota from Redis and admit from memory (docs/rate-limits.md). */
  rateLimitLeasing: boolean;
  /** How long a request waits for Redis's count before it is counted in memory (ms of loop time). */
  rateLimitRedisTimeoutMs: number;
  /** Hop count, or a list of trusted proxy addresses/CIDRs; 0 = use the socket address only. */
  trustProxy: number | string[];
  bodyLimit: number;
  /** A request not answered within this many seconds gets a 503 (REQUEST_TIMEOUT_S); Bun's idleTimeout sits above it. */
  requestTimeoutSeconds: number;
  /** Requests being handled at once past which new /api/v1 requests get 503 at once (MAX_IN_FLIGHT). */
  maxInFlight: number;
  logFormat: LogFormat;
  shutdownDelayMs: number;
  shutdownTimeoutMs: number;
  docsEnabled: boolean;
  /**
   * Check success bodies against the routes' response schemas (RESPONSE_VALIDATION; on outside
   * production, and whenever /docs is served, since the document is built from those schemas).
   */
  validateResponses: boolean;
  /** The API's public base URL (PUBLIC_URL), the OpenAPI document's server; unset means relative "/". */
  publicUrl?: string;
  usage: { enabled: boolean; bufferMax: number; flushIntervalMs: number; batchSize: number };
  metricsToken?: string;
  smtp: { url?: string; from: string };
  ai: { baseUrl?: string; apiKey?: string; model: string; timeoutMs: number };
  compression: { enabled: boolean; minBytes: number };
  /**
   * How long an instance may serve a prospects page again while no write changed its organization
   * (PAGE_CACHE_TTL_MS; 0 turns the cache off; only with Redis, which carries the generations).
   */
  pageCacheTtlMs: number;
}

export interface RedisNode {
  host: string;
  port: number;
}

/** A Redis deployment, as ioredis connects to it (src/redis/client.ts). */
export type RedisTarget =
  | { kind: "single"; url: string; password?: string }
  | {
      kind: "sentinel";
      sentinels: RedisNode[];
      masterName: string;
      password?: string;
      sentinelPassword?: string;
      tls: boolean;
    }
  | { kind: "cluster"; nodes: RedisNode[]; password?: string; tls: boolean };

export class ConfigError extends Error {
  constructor(variable: string, rule: string) {
    super(`${variable}: ${rule}`);
    this.name = "ConfigError";
  }
}

type Env = Record<string, string | undefined>;

/** Login attempts per 15 minutes per address under NODE_ENV=development (RATE_LIMIT_AUTH_MAX overrides). */
export const developmentLoginAttempts = 100;

export function loadConfig(env: Env = process.env): Config {
  const read = reader(env);
  const nodeEnv = read.oneOf("NODE_ENV", ["development", "production", "test"], "development");
  const production = nodeEnv === "production";

  const databaseUrl = read.string("DATABASE_URL");
  if (!databaseUrl && read.string("SUPABASE_URL")) {
    throw new ConfigError(
      "DATABASE_URL",
      "SUPABASE_URL is not a database connection; copy the Postgres connection string from the Supabase project (Settings → Database) into DATABASE_URL",
    );
  }
  if (databaseUrl && !/^(postgres|postgresql|sqlite):\/\//.test(databaseUrl)) {
    throw new ConfigError("DATABASE_URL", "must start with postgres://, postgresql:// or sqlite://");
  }

  const jwt = readJwt(read, production);
  const redisUrl = read.url("REDIS_URL", ["redis:", "rediss:"]);
  const redis = readRedisTarget(read, redisUrl);
  const generalWindow = read.int("RATE_LIMIT_WINDOW_MS", 60_000, 1);
  const policy = (name: string, max: number, windowMs: number): PolicyConfig => ({
    max: read.int(`RATE_LIMIT_${name}_MAX`, max, 1),
    windowMs: read.int(`RATE_LIMIT_${name}_WINDOW_MS`, windowMs, 1),
  });

  return {
    env: nodeEnv,
    port: read.int("PORT", 3000, 0, 65535),
    host: read.string("HOST") ?? "0.0.0.0",
    reusePort: read.bool("REUSE_PORT", false),
    allowedOrigins: readOrigins(read, production),
    databaseUrl: databaseUrl ?? "sqlite://./data/app.db",
    embeddedDatabase: databaseUrl === undefined,
    dbPoolMax: read.int("DB_POOL_MAX", 10, 1, 1000),
    dbPrepare: read.bool("DB_PREPARE", true),
    dbQueryTimeoutMs: read.int("DB_QUERY_TIMEOUT_MS", 1500, 10, 600_000),
    dbConnectTimeoutMs: read.int("DB_CONNECT_TIMEOUT_MS", 2000, 100, 600_000),
    migrateOnStart: read.bool("MIGRATE_ON_START", true),
    jwt,
    passwordHash: {
      memoryCost: read.int("ARGON2_MEMORY_COST", 19_456, 8),
      timeCost: read.int("ARGON2_TIME_COST", 2, 1),
    },
    passwordHashing: {
      // Half the cores: a login flood keeps the other half for every other route.
      concurrency: read.int("PASSWORD_HASH_CONCURRENCY", Math.max(1, Math.floor(availableParallelism() / 2)), 1, 256),
      queueMax: read.int("PASSWORD_HASH_QUEUE_MAX", 256, 0),
      waitMs: read.int("PASSWORD_HASH_WAIT_MS", 1000, 1),
    },
    redisUrl,
    redis,
    sentryDsn: read.url("SENTRY_DSN", ["http:", "https:"]),
    release: read.string("RELEASE") ?? "revenue-api@1.0.0",
    rateLimits: {
      general: { max: read.int("RATE_LIMIT_MAX", 100, 1), windowMs: generalWindow },
      // The seed's 5 per 15 minutes, except in development, where signing in again and again
      // from Swagger UI or a local front end is the normal day's work.
      auth: policy("AUTH", nodeEnv === "development" ? developmentLoginAttempts : 5, 15 * 60_000),
      search: policy("SEARCH", 60, 60_000),
      email: policy("EMAIL", 100, 60 * 60_000),
      ai: policy("AI", 50, 60 * 60_000),
    },
    rateLimitPrefix: readRateLimitPrefix(read),
    rateLimitLeasing: read.bool("RATE_LIMIT_LEASING", true),
    rateLimitRedisTimeoutMs: read.int("RATE_LIMIT_REDIS_TIMEOUT_MS", 50, 1, 10_000),
    trustProxy: readTrustProxy(read),
    bodyLimit: read.int("BODY_LIMIT", 1024 * 1024, 1),
    // Above AI_TIMEOUT_MS (20 s). At most 250: Bun's idleTimeout (at most 255) must sit above it.
    requestTimeoutSeconds: read.int("REQUEST_TIMEOUT_S", 30, 1, 250),
    maxInFlight: read.int("MAX_IN_FLIGHT", 1000, 1),
    logFormat: read.oneOf(
      "LOG_FORMAT",
      ["combined", "dev", "json", "none"],
      production ? "combined" : nodeEnv === "test" ? "none" : "dev",
    ),
    shutdownDelayMs: read.int("SHUTDOWN_DELAY_MS", production ? 5000 : 0, 0),
    shutdownTimeoutMs: read.int("SHUTDOWN_TIMEOUT_MS", 10_000, 0),
    docsEnabled: read.bool("DOCS_ENABLED", !production),
    publicUrl: read.url("PUBLIC_URL", ["http:", "https:"]),
    validateResponses: read.bool("DOCS_ENABLED", !production) || read.bool("RESPONSE_VALIDATION", !production),
    usage: {
      enabled: read.bool("USAGE_TRACKING", true),
      bufferMax: read.int("USAGE_BUFFER_MAX", 10_000, 1),
      flushIntervalMs: read.int("USAGE_FLUSH_INTERVAL_MS", 1000, 10),
      batchSize: read.int("USAGE_BATCH_SIZE", 500, 1),
    },
    metricsToken: readMetricsToken(read, production),
    smtp: {
      url: read.url("SMTP_URL", ["smtp:", "smtps:"]),
      from: read.string("EMAIL_FROM") ?? "Revenue API <no-reply@localhost>",
    },
    ai: {
      baseUrl: read.url("AI_BASE_URL", ["http:", "https:"]),
      apiKey: read.string("AI_API_KEY"),
      model: read.string("AI_MODEL") ?? "gpt-4o-mini",
      timeoutMs: read.int("AI_TIMEOUT_MS", 20_000, 1),
    },
    compression: {
      enabled: read.bool("COMPRESSION", true),
      minBytes: read.int("COMPRESSION_MIN_BYTES", 1024, 0),
    },
    pageCacheTtlMs: read.int("PAGE_CACHE_TTL_MS", 10_000, 0, 600_000),
  };
}

/** /metrics shares the public port: in production it is never open (docs/decisions.md). */
function readMetricsToken(read: Reader, production: boolean): string | undefined {
  const token = read.string("METRICS_TOKEN");
  if (!production) return token;
  if (!token) throw new ConfigError("METRICS_TOKEN", "is required in production (the bearer token /metrics asks for)");
  if (token.length < 32) throw new ConfigError("METRICS_TOKEN", "must be at least 32 characters in production");
  return token;
}

function readJwt(read: Reader, production: boolean): Config["jwt"] {
  let accessSecret = read.string("JWT_SECRET");
  let refreshSecret = read.string("JWT_REFRESH_SECRET");
  let generated = false;
  if (production) {
    if (!accessSecret) throw new ConfigError("JWT_SECRET", "is required in production");
    if (!refreshSecret) throw new ConfigError("JWT_REFRESH_SECRET", "is required in production");
  }
  if (!accessSecret || !refreshSecret) {
    // Development only: per-process secrets, so tokens die with the process.
    accessSecret ??= randomSecret();
    refreshSecret ??= randomSecret();
    generated = true;
  }
  if (accessSecret.length < 32) throw new ConfigError("JWT_SECRET", "must be at least 32 characters");
  if (refreshSecret.length < 32) {
    throw new ConfigError("JWT_REFRESH_SECRET", "must be at least 32 characters");
  }
  if (accessSecret === refreshSecret) {
    throw new ConfigError("JWT_REFRESH_SECRET", "must differ from JWT_SECRET");
  }
  return {
    accessSecret,
    refreshSecret,
    accessTtlSeconds: read.duration("ACCESS_TOKEN_TTL", 15 * 60),
    refreshTtlSeconds: read.duration("REFRESH_TOKEN_TTL", 7 * 24 * 3600),
    issuer: read.string("JWT_ISSUER") ?? "revenue-api",
    audience: read.string("JWT_AUDIENCE") ?? "revenue-api",
    generated,
  };
}

/**
 * One of three deployments: REDIS_URL (one Redis), REDIS_SENTINELS with REDIS_SENTINEL_MASTER, or
 * REDIS_CLUSTER_NODES. More than one, or half of Sentinel's pair, is a mistake worth stopping for.
 */
function readRedisTarget(read: Reader, url: string | undefined): RedisTarget | undefined {
  const sentinels = read.string("REDIS_SENTINELS");
  const masterName = read.string("REDIS_SENTINEL_MASTER");
  const clusterNodes = read.string("REDIS_CLUSTER_NODES");
  const password = read.string("REDIS_PASSWORD");
  const sentinelPassword = read.string("REDIS_SENTINEL_PASSWORD");
  const tls = read.bool("REDIS_TLS", false);
  const chosen = [url && "REDIS_URL", sentinels && "REDIS_SENTINELS", clusterNodes && "REDIS_CLUSTER_NODES"].filter(
    (name): name is string => Boolean(name),
  );
  if (chosen.length > 1) {
    throw new ConfigError(chosen.join(", "), "set only one of REDIS_URL, REDIS_SENTINELS and REDIS_CLUSTER_NODES");
  }
  if (masterName && !sentinels) throw new ConfigError("REDIS_SENTINEL_MASTER", "needs REDIS_SENTINELS");
  if (sentinelPassword && !sentinels) throw new ConfigError("REDIS_SENTINEL_PASSWORD", "needs REDIS_SENTINELS");
  if (url) {
    if (read.string("REDIS_TLS") !== undefined) {
      throw new ConfigError(
        "REDIS_TLS",
        "is for REDIS_SENTINELS and REDIS_CLUSTER_NODES; with REDIS_URL use rediss://",
      );
    }
    if (password && new URL(url).password) {
      throw new ConfigError("REDIS_PASSWORD", "REDIS_URL already carries a password; set it in one place");
    }
    return { kind: "single", url, password };
  }
  if (sentinels) {
    if (!masterName) throw new ConfigError("REDIS_SENTINELS", "needs REDIS_SENTINEL_MASTER, the name of the master");
    return {
      kind: "sentinel",
      sentinels: readNodes(read, "REDIS_SENTINELS", 26379),
      masterName,
      password,
      sentinelPassword,
      tls,
    };
  }
  if (clusterNodes) return { kind: "cluster", nodes: readNodes(read, "REDIS_CLUSTER_NODES", 6379), password, tls };
  if (password) throw new ConfigError("REDIS_PASSWORD", "needs REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES");
  if (read.string("REDIS_TLS") !== undefined) {
    throw new ConfigError("REDIS_TLS", "needs REDIS_SENTINELS or REDIS_CLUSTER_NODES");
  }
  return undefined;
}

/** `host:port,host:port` (IPv6 as `[::1]:port`); a missing port is the service's default. */
function readNodes(read: Reader, name: string, defaultPort: number): RedisNode[] {
  const entries = (read.string(name) ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  return entries.map((entry) => {
    const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]+))(?::(\d{1,5}))?$/.exec(entry);
    const port = match?.[3] === undefined ? defaultPort : Number(match[3]);
    if (!match || port < 1 || port > 65535) {
      throw new ConfigError(name, `"${entry}" is not host:port (comma-separated, IPv6 as [::1]:6379)`);
    }
    return { host: (match[1] ?? match[2]) as string, port };
  });
}

/** A brace would become the Redis Cluster hash tag of every key and put all clients in one slot. */
function readRateLimitPrefix(read: Reader): string {
  const prefix = read.string("RATE_LIMIT_PREFIX") ?? "rl:";
  if (/[{}]/.test(prefix)) {
    throw new ConfigError("RATE_LIMIT_PREFIX", "must not contain { or } (they would choose the Redis Cluster slot)");
  }
  return prefix;
}

function readOrigins(read: Reader, production: boolean): Config["allowedOrigins"] {
  const raw = read.string("ALLOWED_ORIGINS");
  if (!raw) return production ? [] : "localhost";
  const origins = raw
    .split(",")
    .map((o) => o.trim())
    .filter(Boolean);
  for (const origin of origins) {
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      throw new ConfigError("ALLOWED_ORIGINS", `"${origin}" is not an origin like https://app.example.com`);
    }
    if (url.origin !== origin.replace(/\/$/, "")) {
      throw new ConfigError("ALLOWED_ORIGINS", `"${origin}" must be a bare origin (scheme, host, port)`);
    }
  }
  return origins.map((o) => o.replace(/\/$/, ""));
}

function readTrustProxy(read: Reader): Config["trustProxy"] {
  const raw = read.string("TRUST_PROXY");
  if (!raw || raw === "false") return 0;
  if (raw === "true") return 1;
  if (/^\d+$/.test(raw)) return Number(raw);
  const list = raw
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  for (const entry of list) {
    if (!/^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(entry)) {
      throw new ConfigError("TRUST_PROXY", `"${entry}" is neither a hop count nor an IP address or CIDR`);
    }
  }
  return list;
}

function randomSecret(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(48))).toString("base64url");
}

type Reader = ReturnType<typeof reader>;

function reader(env: Env) {
  const string = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value ? value : undefined;
  };
  return {
    string,
    int(name: string, fallback: number, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER) {
      const raw = string(name);
      if (raw === undefined) return fallback;
      if (!/^-?\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number, got "${raw}"`);
      const value = Number(raw);
      if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}`);
      return value;
    },
    bool(name: string, fallback: boolean) {
      const raw = string(name)?.toLowerCase();
      if (raw === undefined) return fallback;
      if (["true", "1", "yes", "on"].includes(raw)) return true;
      if (["false", "0", "no", "off"].includes(raw)) return false;
      throw new ConfigError(name, `must be true or false, got "${raw}"`);
    },
    oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
      const raw = string(name);
      if (raw === undefined) return fallback;
      if (!allowed.includes(raw as T)) throw new ConfigError(name, `must be one of ${allowed.join(", ")}`);
      return raw as T;
    },
    url(name: string, protocols: string[]) {
      const raw = string(name);
      if (raw === undefined) return undefined;
      let url: URL;
      try {
        url = new URL(raw);
      } catch {
        throw new ConfigError(name, "must be a URL");
      }
      if (!protocols.includes(url.protocol)) {
        throw new ConfigError(name, `must be a ${protocols.map((p) => p.replace(":", "://")).join(" or ")} URL`);
      }
      return raw;
    },
    /** "900", "15m", "7d" → seconds. */
    duration(name: string, fallback: number) {
      const raw = string(name);
      if (raw === undefined) return fallback;
      const match = /^(\d+)\s*(s|m|h|d)?$/.exec(raw);
      if (!match) throw new ConfigError(name, `must be a duration like 900, 15m, 12h or 7d, got "${raw}"`);
      const unit = { s: 1, m: 60, h: 3600, d: 86400 }[match[2] as "s" | "m" | "h" | "d"] ?? 1;
      const seconds = Number(match[1]) * unit;
      if (seconds < 1) throw new ConfigError(name, "must be at least one second");
      return seconds;
    },
  };
}
