/**
 * Peer: Hono on Bun with its own middleware. GET /api/v1/me: JWT verify (hono/jwt), a limit on
 * Redis keyed by the token's subject (hono-rate-limiter's RedisStore over ioredis, draft-6
 * `RateLimit-*` headers), security headers (hono/secure-headers), CORS (hono/cors, an allow-list),
 * a request id (hono/request-id), one pino line per request to a file (hono-pino on pino's
 * asynchronous destination, as pino recommends for production).
 */
import { Hono } from "hono";
import { cors } from "hono/cors";
import { jwt } from "hono/jwt";
import { requestId } from "hono/request-id";
import { secureHeaders } from "hono/secure-headers";
import { pinoLogger } from "hono-pino";
import { RedisStore, rateLimiter } from "hono-rate-limiter";
import Redis from "ioredis";
import pino from "pino";

const env = process.env;
const redis = new Redis(env.REDIS_URL ?? "redis://127.0.0.1:6379", { enableOfflineQueue: false });

// The store's client contract (scriptLoad, evalsha with keys and args, decr, del) over ioredis.
const client = {
  scriptLoad: (script: string) => redis.script("LOAD", script) as Promise<string>,
  evalsha: <TArgs extends unknown[], TData = unknown>(sha: string, keys: string[], args: TArgs) =>
    redis.evalsha(sha, keys.length, ...keys, ...(args as Array<string | number>)) as Promise<TData>,
  decr: (key: string) => redis.decr(key),
  del: (key: string) => redis.del(key),
};

type Claims = { sub: string; email: string; role: string; org: string };

const app = new Hono<{ Variables: { jwtPayload: Claims } }>();
app.use(
  pinoLogger({ pino: pino({ level: "info" }, pino.destination({ dest: env.LOG_FILE ?? "/dev/null", sync: false })) }),
);
app.use(secureHeaders());
app.use(cors({ origin: (env.ALLOWED_ORIGINS ?? "https://app.example.com").split(",") }));
app.use(requestId());
app.use("/api/*", jwt({ secret: env.JWT_SECRET ?? "", alg: "HS256" }));
app.use(
  "/api/*",
  rateLimiter({
    windowMs: 60_000,
    limit: Number(env.RATE_LIMIT_MAX ?? 1_000_000_000),
    standardHeaders: "draft-6",
    keyGenerator: (c) => c.get("jwtPayload").sub,
    store: new RedisStore({ client, prefix: env.RATE_LIMIT_PREFIX ?? "peer-hono:" }),
  }),
);
app.get("/api/v1/me", (c) => {
  const claims = c.get("jwtPayload");
  return c.json({
    success: true,
    data: { id: claims.sub, email: claims.email, role: claims.role, organizationId: claims.org },
  });
});

const server = Bun.serve({ hostname: "127.0.0.1", port: Number(env.PORT ?? 0), fetch: app.fetch });
process.stdout.write(`listening ${server.port}\n`);
process.on("SIGTERM", () => {
  server.stop(true);
  redis.disconnect();
  process.exit(0);
});
