import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import Redis from "ioredis";
import { cheapHashEnv } from "../helpers/fixtures";
import {
  type PortReservation,
  redisServersAvailable,
  redisServersRequired,
  reservePorts,
} from "../helpers/redis-topology";
import { type ServerProcess, startServer } from "../server/server-process";
import { redisCheck, testPrefix } from "./support";

/**
 * The server against Redis as managed services run it: `requirepass`, and TLS only (no plain
 * port) with a certificate from a private CA. Real redis-server processes on ports of
 * 26500-26549, certificates made by openssl for the run.
 */
redisServersRequired();
const openssl = Bun.which("openssl");
if (!openssl && process.env.CI) throw new Error("openssl is required under CI");

const password = "s3cret-for-the-test";
const fallbackWarning = "rate limiter: Redis unavailable, counting in process memory";

function run(command: string[], cwd: string): void {
  const result = Bun.spawnSync(command, { cwd, stdout: "ignore", stderr: "pipe" });
  if (result.exitCode !== 0) throw new Error(`${command.join(" ")}: ${result.stderr.toString()}`);
}

/** A CA, and a certificate it signed for 127.0.0.1. */
function makeCertificates(dir: string): { ca: string; cert: string; key: string } {
  const sh = (...args: string[]) => run([openssl as string, ...args], dir);
  sh(
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    "2",
    "-subj",
    "/CN=Test CA",
  );
  sh("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1");
  writeFileSync(join(dir, "ext.cnf"), "subjectAltName=IP:127.0.0.1\n");
  sh(
    "x509",
    "-req",
    "-in",
    "server.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "server.pem",
    "-days",
    "2",
    "-extfile",
    "ext.cnf",
  );
  return { ca: join(dir, "ca.pem"), cert: join(dir, "server.pem"), key: join(dir, "server.key") };
}

function startRedis(args: string[]): Subprocess {
  return Bun.spawn(["redis-server", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", ...args], {
    stdin: "ignore",
    stdout: "ignore",
    stderr: "ignore",
  });
}

describe.skipIf(!redisServersAvailable || !openssl)("the rate limiter on a Redis with a password and on TLS", () => {
  let dir: string;
  let certs: { ca: string; cert: string; key: string };
  let reservation: PortReservation;
  let plainPort: number;
  let tlsPort: number;
  const redises: Subprocess[] = [];
  const servers: ServerProcess[] = [];
  let plain: Redis;
  let secure: Redis;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "revenue-api-secured-redis-"));
    certs = makeCertificates(dir);
    reservation = reservePorts(26500, 26549, 2);
    [plainPort, tlsPort] = reservation.ports as [number, number];
    redises.push(startRedis(["--port", String(plainPort), "--requirepass", password]));
    redises.push(
      startRedis([
        "--port",
        "0",
        "--tls-port",
        String(tlsPort),
        "--tls-cert-file",
        certs.cert,
        "--tls-key-file",
        certs.key,
        "--tls-ca-cert-file",
        certs.ca,
        "--tls-auth-clients",
        "no",
        "--requirepass",
        password,
      ]),
    );
    plain = new Redis({ host: "127.0.0.1", port: plainPort, password });
    secure = new Redis({ host: "127.0.0.1", port: tlsPort, password, tls: { ca: await Bun.file(certs.ca).text() } });
    for (const redis of [plain, secure]) redis.on("error", () => {});
    const deadline = Date.now() + 5000;
    while ((await Promise.all([plain.ping(), secure.ping()]).catch(() => undefined)) === undefined) {
      if (Date.now() > deadline) throw new Error("the test's Redis servers did not start");
      await Bun.sleep(50);
    }
  }, 30_000);

  afterAll(async () => {
    await Promise.all(servers.map((s) => s.dispose()));
    plain?.disconnect();
    secure?.disconnect();
    for (const child of redises) child.kill("SIGKILL");
    await Promise.all(redises.map((child) => child.exited));
    reservation?.release();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const serve = async (env: Record<string, string>) => {
    const prefix = testPrefix();
    const server = await startServer({
      ...cheapHashEnv,
      NODE_ENV: "test",
      LOG_FORMAT: "none",
      JWT_SECRET: "secured-redis-access-secret-0123456789abcdef",
      JWT_REFRESH_SECRET: "secured-redis-refresh-secret-0123456789abcdef",
      RATE_LIMIT_PREFIX: prefix,
      TRUST_PROXY: "1",
      RATE_LIMIT_AUTH_MAX: "100",
      // Each request counted in Redis by itself (no leased slices), so its count is the requests'.
      RATE_LIMIT_LEASING: "false",
      ...env,
    });
    servers.push(server);
    return { server, prefix };
  };

  /** `n` failed sign-ins from one address, each answered 401 (never a 5xx), and how long they took. */
  const failedLogins = async (server: ServerProcess, from: string, n: number) => {
    const started = performance.now();
    for (let i = 0; i < n; i++) {
      const response = await fetch(`${server.base}/api/v1/auth/login`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-forwarded-for": from },
        body: JSON.stringify({ email: `nobody-${i}@example.com`, password: "not-the-password" }),
      });
      expect(response.status).toBe(401);
      expect(response.headers.get("x-ratelimit-remaining")).toBe(String(100 - i - 1));
      await response.arrayBuffer();
    }
    return performance.now() - started;
  };

  test("counts in a Redis that asks for a password given in REDIS_URL", async () => {
    const { server, prefix } = await serve({ REDIS_URL: `redis://:${password}@127.0.0.1:${plainPort}` });
    await failedLogins(server, "203.0.113.10", 3);
    expect(await plain.get(`${prefix}auth:{ip:203.0.113.10}`)).toBe("3");
    expect(await redisCheck(server, "healthy", 0)).toBe("healthy");
    expect(server.stderr()).not.toContain(fallbackWarning);
  }, 20_000);

  test("counts there with the password in REDIS_PASSWORD instead", async () => {
    const { server, prefix } = await serve({ REDIS_URL: `redis://127.0.0.1:${plainPort}`, REDIS_PASSWORD: password });
    await failedLogins(server, "203.0.113.11", 2);
    expect(await plain.get(`${prefix}auth:{ip:203.0.113.11}`)).toBe("2");
    expect(await redisCheck(server, "healthy", 0)).toBe("healthy");
  }, 20_000);

  test("with a wrong password: answers from memory at once, readiness says so, and the log names the refusal", async () => {
    const { server, prefix } = await serve({ REDIS_URL: `redis://:wrong-password@127.0.0.1:${plainPort}` });
    const ms = await failedLogins(server, "203.0.113.12", 3);
    expect(ms).toBeLessThan(3000);
    expect(await plain.exists(`${prefix}auth:{ip:203.0.113.12}`)).toBe(0);
    expect(await redisCheck(server, "unhealthy", 2000)).toBe("unhealthy");
    expect((await fetch(`${server.base}/health/ready`)).status).toBe(503);
    expect(server.stderr()).toContain(fallbackWarning);
    expect(server.stderr()).toMatch(/WRONGPASS|invalid password|invalid username-password/i);
  }, 20_000);

  test("counts over TLS (rediss://) when the private CA is given in NODE_EXTRA_CA_CERTS", async () => {
    const { server, prefix } = await serve({
      REDIS_URL: `rediss://:${password}@127.0.0.1:${tlsPort}`,
      NODE_EXTRA_CA_CERTS: certs.ca,
    });
    await failedLogins(server, "203.0.113.13", 3);
    expect(await secure.get(`${prefix}auth:{ip:203.0.113.13}`)).toBe("3");
    expect(await redisCheck(server, "healthy", 0)).toBe("healthy");
    expect(server.stderr()).not.toContain(fallbackWarning);
  }, 20_000);

  test("over TLS to a certificate it cannot verify: memory, readiness unhealthy, never a 5xx or a hang", async () => {
    const { server, prefix } = await serve({ REDIS_URL: `rediss://:${password}@127.0.0.1:${tlsPort}` });
    const ms = await failedLogins(server, "203.0.113.14", 3);
    expect(ms).toBeLessThan(3000);
    expect(await secure.exists(`${prefix}auth:{ip:203.0.113.14}`)).toBe(0);
    expect(await redisCheck(server, "unhealthy", 2000)).toBe("unhealthy");
    expect(server.stderr()).toContain(fallbackWarning);
  }, 20_000);
});
