import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { App } from "../../src/app";
import { createMetrics } from "../../src/observability/metrics";
import { buildTestApp } from "../helpers/app";
import { rawRequest } from "../helpers/raw-http";
import { freePort, makeTempDir, readRepoFile, removeDir, requireToolUnlessLocal } from "./support";

const nginx = requireToolUnlessLocal("nginx");
const openssl = requireToolUnlessLocal("openssl");
const skip = nginx.skip || openssl.skip;

interface Seen {
  backend: number;
  path: string;
  headers: Headers;
  /** nginx's source port: the same port twice means a reused upstream connection. */
  sourcePort?: number;
}

interface Sandbox {
  dir: string;
  httpPort: number;
  httpsPort: number;
  seen: Seen[];
  backends: ReturnType<typeof Bun.serve>[];
  nginx?: Bun.Subprocess;
}

/** A throwaway self-signed certificate, as the issue prescribes. */
function makeCertificate(dir: string): { cert: string; key: string } {
  const cert = join(dir, "cert.pem");
  const key = join(dir, "key.pem");
  const args = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-days", "1"];
  const run = Bun.spawnSync([openssl.path ?? "openssl", ...args, "-keyout", key, "-out", cert]);
  if (run.exitCode !== 0) throw new Error(`openssl failed: ${run.stderr}`);
  return { cert, key };
}

/**
 * deploy/nginx.conf with machine-specific values swapped for the sandbox's: certificate paths,
 * listen ports (unprivileged, IPv4 loopback) and the upstream's 3000–3003.
 */
function sandboxSite(sandbox: Sandbox, upstreamPorts: number[]): string {
  const { cert, key } = makeCertificate(sandbox.dir);
  return readRepoFile("deploy/nginx.conf")
    .replace(/ssl_certificate (\S+);/, `ssl_certificate ${cert};`)
    .replace(/ssl_certificate_key (\S+);/, `ssl_certificate_key ${key};`)
    .replace(/^\s*listen \[::\]:.*$/gm, "")
    .replace(/^(\s*)listen 80;/m, `$1listen 127.0.0.1:${sandbox.httpPort};`)
    .replace(/^(\s*)listen 443 /m, `$1listen 127.0.0.1:${sandbox.httpsPort} `)
    .replace(/127\.0\.0\.1:300(\d);/g, (_, i: string) => `127.0.0.1:${upstreamPorts[Number(i)]};`);
}

/** A main nginx.conf that includes the site inside http{}, with every writable path in the sandbox. */
function writeMainConfig(sandbox: Sandbox, site: string): string {
  const { dir } = sandbox;
  writeFileSync(join(dir, "site.conf"), site);
  const temp = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((t) => `${t}_temp_path ${dir}/${t};`);
  const main = join(dir, "nginx.conf");
  writeFileSync(
    main,
    [
      `pid ${dir}/nginx.pid;`,
      `error_log ${dir}/error.log;`,
      "worker_processes 1;",
      "events { worker_connections 64; }",
      "http {",
      `  access_log ${dir}/access.log;`,
      ...temp.map((t) => `  ${t}`),
      `  include ${dir}/site.conf;`,
      "}",
    ].join("\n"),
  );
  return main;
}

function nginxArgs(sandbox: Sandbox, main: string): string[] {
  return [nginx.path ?? "nginx", "-p", `${sandbox.dir}/`, "-e", `${sandbox.dir}/error.log`, "-c", main];
}

/** nginx as a foreground child on the sandbox's config, once it answers on its HTTP port. */
async function startNginx(sandbox: Sandbox, upstreamPorts: number[]): Promise<void> {
  const main = writeMainConfig(sandbox, sandboxSite(sandbox, upstreamPorts));
  sandbox.nginx = Bun.spawn([...nginxArgs(sandbox, main), "-g", "daemon off;"], { stderr: "pipe" });
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    const up = await fetch(`http://127.0.0.1:${sandbox.httpPort}/`, { redirect: "manual" }).catch(() => null);
    if (up) return;
    await Bun.sleep(50);
  }
  throw new Error(`nginx did not start: ${await new Response(sandbox.nginx.stderr as ReadableStream).text()}`);
}

async function stopNginx(sandbox: Sandbox): Promise<void> {
  sandbox.nginx?.kill("SIGTERM");
  await sandbox.nginx?.exited;
  removeDir(sandbox.dir);
}

function newSandbox(): Sandbox {
  return { dir: makeTempDir("nginx"), httpPort: freePort(), httpsPort: freePort(), seen: [], backends: [] };
}

function requireTools(): void {
  if (!nginx.path)
    throw new Error("nginx is not installed; CI is set, so this is a failure (apt-get install nginx-light)");
  if (!openssl.path) throw new Error("openssl is not installed; CI is set, so this is a failure");
}

describe.skipIf(skip)("nginx site", () => {
  const sandbox = newSandbox();

  beforeAll(async () => {
    requireTools();
    // Four stand-ins for the API processes, recording what nginx forwards.
    sandbox.backends = [0, 1, 2, 3].map((backend) =>
      Bun.serve({
        port: 0,
        hostname: "127.0.0.1",
        fetch(request, server) {
          const { pathname } = new URL(request.url);
          const sourcePort = server.requestIP(request)?.port;
          sandbox.seen.push({ backend, path: pathname, headers: request.headers, sourcePort });
          return Response.json({ success: true, status: "healthy" });
        },
      }),
    );
    await startNginx(
      sandbox,
      sandbox.backends.map((b) => b.port ?? 0),
    );
  });

  afterAll(async () => {
    await stopNginx(sandbox);
    for (const backend of sandbox.backends) backend.stop(true);
  });

  const https = (path: string, init: RequestInit = {}) =>
    fetch(`https://127.0.0.1:${sandbox.httpsPort}${path}`, { ...init, tls: { rejectUnauthorized: false } });

  test("nginx -t accepts the site inside http{} with a throwaway certificate", () => {
    const checked = { ...sandbox, dir: makeTempDir("nginx-t") };
    const main = writeMainConfig(checked, sandboxSite(checked, [3000, 3001, 3002, 3003]));
    const check = Bun.spawnSync([...nginxArgs(checked, main), "-t"]);
    removeDir(checked.dir);
    const output = check.stderr.toString();
    expect(output).toContain("syntax is ok");
    expect(output).toContain("test is successful");
    expect(check.exitCode).toBe(0);
  });

  test("plain HTTP is redirected to HTTPS with the same path and query", async () => {
    const response = await fetch(`http://127.0.0.1:${sandbox.httpPort}/api/v1/me?x=1`, { redirect: "manual" });
    expect(response.status).toBe(301);
    expect(response.headers.get("location")).toBe("https://127.0.0.1/api/v1/me?x=1");
  });

  test("/health passes through over TLS with the client address appended to X-Forwarded-For", async () => {
    sandbox.seen.length = 0;
    const response = await https("/health", { headers: { "X-Forwarded-For": "203.0.113.9" } });
    expect(response.status).toBe(200);
    const [forwarded] = sandbox.seen;
    expect(forwarded?.path).toBe("/health");
    // TRUST_PROXY=1 reads the last entry: the address nginx saw, never the client's claim.
    expect(forwarded?.headers.get("x-forwarded-for")).toBe("203.0.113.9, 127.0.0.1");
    expect(forwarded?.headers.get("x-real-ip")).toBe("127.0.0.1");
    expect(forwarded?.headers.get("x-forwarded-proto")).toBe("https");
    expect(forwarded?.headers.get("host")).toBe("api.airevenueorc.com");
  });

  test.each(["a", "ab", "api", "[::1]", "a:1"])(
    "the API gets the site's own Host whatever the client sent (%s)",
    async (host) => {
      sandbox.seen.length = 0;
      const response = await rawRequest(sandbox.httpsPort, `GET /api/v1/me HTTP/1.1\r\nHost: ${host}`, "", {
        tls: true,
      });
      expect(response.status).toBe(200);
      expect(sandbox.seen.map((s) => s.headers.get("host"))).toEqual(["api.airevenueorc.com"]);
    },
  );

  test("API requests are spread over all four upstream processes on reused connections", async () => {
    sandbox.seen.length = 0;
    for (let i = 0; i < 8; i++) expect((await https("/api/v1/prospects")).status).toBe(200);
    expect(new Set(sandbox.seen.map((s) => s.backend)).size).toBe(4);
    const connections = new Set(sandbox.seen.map((s) => `${s.backend}:${s.sourcePort}`));
    expect(connections.size).toBeLessThan(sandbox.seen.length);
    expect(sandbox.seen.map((s) => s.headers.get("connection"))).not.toContain("upgrade");
  });

  test("a body over 1 MiB is refused with 413 before it reaches the API", async () => {
    sandbox.seen.length = 0;
    const response = await https("/api/v1/prospects", { method: "POST", body: "x".repeat(1024 * 1024 + 1) });
    expect(response.status).toBe(413);
    expect(sandbox.seen).toEqual([]);
  });
});

describe.skipIf(skip)("nginx in front of the API never serves /metrics", () => {
  const sandbox = newSandbox();
  let api: App;

  beforeAll(async () => {
    requireTools();
    // The real app with /metrics open (no token), so that anything nginx let through would show.
    const metrics = createMetrics();
    api = buildTestApp({ deps: { metrics, observers: [metrics.observe] } }).app;
    api.listen({ hostname: "127.0.0.1", port: 0 });
    const port = api.server?.port ?? 0;
    const direct = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(await direct.text()).toContain("# TYPE");
    await startNginx(sandbox, [port, port, port, port]);
  });

  afterAll(async () => {
    await stopNginx(sandbox);
    await api.stop(true);
  });

  test.each([
    ["/metrics", "api.airevenueorc.com"],
    ["/x/metrics", "a"],
    ["/zz/metrics", "api"],
    ["/METRICS", "api.airevenueorc.com"],
    ["/Metrics", "a"],
    ["//metrics", "api.airevenueorc.com"],
    ["/metrics/", "api.airevenueorc.com"],
    ["/metrics?format=text", "api.airevenueorc.com"],
    ["/%2Fmetrics", "api.airevenueorc.com"],
    ["/%2fmetrics", "a"],
    ["/%6Detrics", "api.airevenueorc.com"],
    ["/metrics%2F", "api.airevenueorc.com"],
    ["/x/../metrics", "a"],
    ["/x/%2E%2E/metrics", "a"],
    ["/./metrics", "api.airevenueorc.com"],
    ["/metrics;x", "api.airevenueorc.com"],
    ["/health/../metrics", "ab"],
  ])("GET %s with Host %s gets no metrics", async (path, host) => {
    const response = await rawRequest(sandbox.httpsPort, `GET ${path} HTTP/1.1\r\nHost: ${host}`, "", { tls: true });
    expect(response.body).not.toContain("# TYPE");
    expect(response.body).not.toContain("http_requests_total");
    expect([400, 404]).toContain(response.status);
    if (response.status === 404) expect(JSON.parse(response.body)).toMatchObject({ success: false, error: "NotFound" });
  });

  test("the API itself still answers through nginx, with its JSON 404 for unknown paths", async () => {
    const health = await rawRequest(sandbox.httpsPort, "GET /health HTTP/1.1\r\nHost: a", "", { tls: true });
    expect(health.status).toBe(200);
    const unknown = await rawRequest(sandbox.httpsPort, "GET /zz/health HTTP/1.1\r\nHost: a", "", { tls: true });
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body)).toMatchObject({ success: false, error: "NotFound", path: "/zz/health" });
  });
});
