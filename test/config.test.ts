import { describe, expect, test } from "bun:test";
import { ConfigError, loadConfig } from "../src/config";

const secret = "s".repeat(32);
const production = {
  NODE_ENV: "production",
  JWT_SECRET: "a".repeat(40),
  JWT_REFRESH_SECRET: "b".repeat(40),
  METRICS_TOKEN: "m".repeat(32),
};

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("loadConfig accepted the environment");
}

describe("configuration", () => {
  test.each([
    ["no JWT_SECRET in production", { NODE_ENV: "production", JWT_REFRESH_SECRET: secret }, "JWT_SECRET"],
    ["no METRICS_TOKEN in production", { ...production, METRICS_TOKEN: "" }, "METRICS_TOKEN"],
    [
      "a METRICS_TOKEN under 32 characters in production",
      { ...production, METRICS_TOKEN: "x".repeat(31) },
      "METRICS_TOKEN",
    ],
    ["no JWT_REFRESH_SECRET in production", { NODE_ENV: "production", JWT_SECRET: secret }, "JWT_REFRESH_SECRET"],
    ["a JWT_SECRET under 32 characters", { ...production, JWT_SECRET: "short-secret" }, "JWT_SECRET"],
    [
      "a JWT_REFRESH_SECRET under 32 characters",
      { ...production, JWT_REFRESH_SECRET: "x".repeat(31) },
      "JWT_REFRESH_SECRET",
    ],
    ["equal JWT secrets", { ...production, JWT_SECRET: secret, JWT_REFRESH_SECRET: secret }, "JWT_REFRESH_SECRET"],
    ["PORT=abc", { ...production, PORT: "abc" }, "PORT"],
    ["PORT=70000", { ...production, PORT: "70000" }, "PORT"],
    ["REDIS_URL=notaurl", { ...production, REDIS_URL: "notaurl" }, "REDIS_URL"],
    ["a REDIS_URL that is not redis://", { ...production, REDIS_URL: "http://localhost:6379" }, "REDIS_URL"],
    [
      "REDIS_URL together with REDIS_CLUSTER_NODES",
      { ...production, REDIS_URL: "redis://a:6379", REDIS_CLUSTER_NODES: "b:6379" },
      "REDIS_URL, REDIS_CLUSTER_NODES",
    ],
    [
      "REDIS_SENTINELS together with REDIS_CLUSTER_NODES",
      { ...production, REDIS_SENTINELS: "a:26379", REDIS_SENTINEL_MASTER: "m", REDIS_CLUSTER_NODES: "b:6379" },
      "REDIS_SENTINELS, REDIS_CLUSTER_NODES",
    ],
    ["REDIS_SENTINELS without REDIS_SENTINEL_MASTER", { ...production, REDIS_SENTINELS: "a:26379" }, "REDIS_SENTINELS"],
    [
      "REDIS_SENTINEL_MASTER without REDIS_SENTINELS",
      { ...production, REDIS_SENTINEL_MASTER: "m" },
      "REDIS_SENTINEL_MASTER",
    ],
    [
      "a REDIS_CLUSTER_NODES entry that is not host:port",
      { ...production, REDIS_CLUSTER_NODES: "a:6379,b:x" },
      "REDIS_CLUSTER_NODES",
    ],
    ["REDIS_PASSWORD with no Redis", { ...production, REDIS_PASSWORD: "p" }, "REDIS_PASSWORD"],
    [
      "REDIS_PASSWORD and a password in REDIS_URL",
      { ...production, REDIS_URL: "redis://:p@a:6379", REDIS_PASSWORD: "q" },
      "REDIS_PASSWORD",
    ],
    ["REDIS_TLS with REDIS_URL", { ...production, REDIS_URL: "redis://a:6379", REDIS_TLS: "true" }, "REDIS_TLS"],
    ["a RATE_LIMIT_PREFIX with a brace", { ...production, RATE_LIMIT_PREFIX: "rl:{x}:" }, "RATE_LIMIT_PREFIX"],
    ["RATE_LIMIT_MAX=-1", { ...production, RATE_LIMIT_MAX: "-1" }, "RATE_LIMIT_MAX"],
    ["RATE_LIMIT_WINDOW_MS=1m", { ...production, RATE_LIMIT_WINDOW_MS: "1m" }, "RATE_LIMIT_WINDOW_MS"],
    ["SUPABASE_URL without DATABASE_URL", { ...production, SUPABASE_URL: "https://x.supabase.co" }, "DATABASE_URL"],
    ["a DATABASE_URL of another kind", { ...production, DATABASE_URL: "mysql://localhost/app" }, "DATABASE_URL"],
    [
      "an ALLOWED_ORIGINS entry with a path",
      { ...production, ALLOWED_ORIGINS: "https://app.example.com/x" },
      "ALLOWED_ORIGINS",
    ],
    ["NODE_ENV=staging", { NODE_ENV: "staging" }, "NODE_ENV"],
  ])("refuses %s and names the variable", (_, env, variable) => {
    const error = configError(env as Record<string, string>);
    expect(error.message).toStartWith(`${variable}: `);
    expect(error.message).not.toContain("\n");
  });

  test("starts in development with no settings at all, on generated distinct secrets", () => {
    const config = loadConfig({});
    expect(config.env).toBe("development");
    expect(config.port).toBe(3000);
    expect(config.jwt.generated).toBe(true);
    expect(config.jwt.accessSecret.length).toBeGreaterThanOrEqual(32);
    expect(config.jwt.refreshSecret.length).toBeGreaterThanOrEqual(32);
    expect(config.jwt.accessSecret).not.toBe(config.jwt.refreshSecret);
    expect(config.allowedOrigins).toBe("localhost");
    expect(config.databaseUrl).toStartWith("sqlite://");
    expect(config.logFormat).toBe("dev");
  });

  test("reads a Redis Cluster's seed nodes, and a Sentinel set with its master's name", () => {
    expect(
      loadConfig({
        ...production,
        REDIS_CLUSTER_NODES: "10.0.0.1:7000, [::1]:7001,redis-2",
        REDIS_PASSWORD: "p",
        REDIS_TLS: "true",
      }).redis,
    ).toEqual({
      kind: "cluster",
      nodes: [
        { host: "10.0.0.1", port: 7000 },
        { host: "::1", port: 7001 },
        { host: "redis-2", port: 6379 },
      ],
      password: "p",
      tls: true,
    });
    expect(loadConfig({ ...production, REDIS_SENTINELS: "s1:26379,s2", REDIS_SENTINEL_MASTER: "main" }).redis).toEqual({
      kind: "sentinel",
      sentinels: [
        { host: "s1", port: 26379 },
        { host: "s2", port: 26379 },
      ],
      masterName: "main",
      password: undefined,
      sentinelPassword: undefined,
      tls: false,
    });
    expect(loadConfig({ ...production, REDIS_URL: "rediss://a:6380" }).redis).toEqual({
      kind: "single",
      url: "rediss://a:6380",
      password: undefined,
    });
  });

  test("reads the seed's variables in production", () => {
    const config = loadConfig({
      ...production,
      PORT: "8080",
      ALLOWED_ORIGINS: "https://app.airevenueorc.com, https://www.airevenueorc.com",
      REDIS_URL: "redis://localhost:6379",
      SENTRY_DSN: "https://key@sentry.io/1",
      RATE_LIMIT_WINDOW_MS: "30000",
      RATE_LIMIT_MAX: "50",
      DATABASE_URL: "postgres://postgres@127.0.0.1:5432/app",
    });
    expect(config.port).toBe(8080);
    expect(config.allowedOrigins).toEqual(["https://app.airevenueorc.com", "https://www.airevenueorc.com"]);
    expect(config.redisUrl).toBe("redis://localhost:6379");
    expect(config.sentryDsn).toBe("https://key@sentry.io/1");
    expect(config.rateLimits.general).toEqual({ max: 50, windowMs: 30_000 });
    expect(config.jwt.generated).toBe(false);
    expect(config.logFormat).toBe("combined");
    expect(config.databaseUrl).toBe("postgres://postgres@127.0.0.1:5432/app");
  });
});

describe("start-up with a bad setting", () => {
  test("exits 1 with one line on stderr naming JWT_SECRET and no stack trace", async () => {
    const env: Record<string, string> = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp" };
    const child = Bun.spawn([process.execPath, "--no-env-file", "src/server.ts"], {
      cwd: `${import.meta.dir}/..`,
      env: { ...env, NODE_ENV: "production", PORT: "0" },
      stdout: "pipe",
      stderr: "pipe",
    });
    const [code, stderr] = await Promise.all([child.exited, new Response(child.stderr).text()]);
    expect(code).toBe(1);
    const lines = stderr.split("\n").filter((line) => line.length > 0);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("JWT_SECRET");
    expect(stderr).not.toMatch(/^\s*at /m);
  });
});
