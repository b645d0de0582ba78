import { existsSync } from "node:fs";
import { join } from "node:path";
import { SignJWT } from "jose";
import { type HelperServer, startHelper } from "./helper-server";

/** A peer: another stack doing the same work for GET /api/v1/me (bench/peers/<id>/). */
export interface Peer {
  id: string;
  title: string;
  /** The command, run in the peer's folder. */
  command: string[];
}

const peersDir = join(import.meta.dir, "peers");

export function peers(): Peer[] {
  const bun = process.execPath;
  return [
    { id: "elysia", title: "Elysia + its plugins (Bun)", command: [bun, "server.ts"] },
    { id: "hono", title: "Hono + its middleware (Bun)", command: [bun, "server.ts"] },
    { id: "fastify", title: "Fastify 5 + its plugins (Node)", command: [Bun.which("node") ?? "node", "server.mjs"] },
  ];
}

/**
 * `npm ci` in the peer's folder the first time it runs (its own package.json and lockfile; the
 * root `npm ci` does not install peers).
 */
export async function ensureInstalled(peer: Peer, say: (line: string) => void): Promise<void> {
  const dir = join(peersDir, peer.id);
  if (existsSync(join(dir, "node_modules"))) return;
  say(`installing bench/peers/${peer.id} (npm ci, once)`);
  const npm = Bun.spawn(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], {
    cwd: dir,
    stdin: "ignore",
    stdout: "ignore",
    stderr: "inherit",
  });
  if ((await npm.exited) !== 0) throw new Error(`npm ci in bench/peers/${peer.id} failed`);
}

export interface PeerSettings {
  secret: string;
  redisUrl: string;
  prefix: string;
  logFile: string;
}

export function startPeer(peer: Peer, cpu: string | undefined, settings: PeerSettings): Promise<HelperServer> {
  return startHelper({
    command: peer.command,
    cwd: join(peersDir, peer.id),
    cpu,
    env: {
      NODE_ENV: "production",
      JWT_SECRET: settings.secret,
      REDIS_URL: settings.redisUrl,
      RATE_LIMIT_PREFIX: settings.prefix,
      RATE_LIMIT_MAX: "1000000000",
      LOG_FILE: settings.logFile,
      ALLOWED_ORIGINS: "https://app.example.com",
    },
    readyPath: "/api/v1/me",
    anyStatus: true,
  });
}

/** The peers' access token: HS256, the subject the limit is keyed by, the claims /me answers with. */
export function peerToken(secret: string, user: { id: string; email: string; role: string; organizationId: string }) {
  return new SignJWT({ email: user.email, role: user.role, org: user.organizationId })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(user.id)
    .setIssuedAt()
    .setExpirationTime("2h")
    .sign(new TextEncoder().encode(secret));
}
