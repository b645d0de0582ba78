/**
 * Peer: Elysia assembled from the design card's plugins as their READMEs show them. GET /api/v1/me:
 * JWT verify (@elysiajs/jwt), a limit on Redis keyed by the token's subject (elysia-rate-limit with
 * a Redis context, the `Context` protocol its README points to), security headers (elysia-helmet),
 * CORS (@elysiajs/cors, an allow-list), a request id, one pino line per request to a file
 * (@bogeychan/elysia-logger on pino's asynchronous destination, as pino recommends for production).
 */
import { logger } from "@bogeychan/elysia-logger";
import { cors } from "@elysiajs/cors";
import { jwt } from "@elysiajs/jwt";
import { Elysia } from "elysia";
import { helmet } from "elysia-helmet";
import { type Context, rateLimit } from "elysia-rate-limit";
import Redis from "ioredis";
import pino from "pino";

const env = process.env;
const redis = new Redis(env.REDIS_URL ?? "redis://127.0.0.1:6379", { enableOfflineQueue: false });
const prefix = env.RATE_LIMIT_PREFIX ?? "peer-elysia:";
const windowMs = 60_000;

// One round trip per request: count, and set the window's expiry on the first count.
redis.defineCommand("hit", {
  numberOfKeys: 1,
  lua: "local c = redis.call('INCR', KEYS[1]) if c == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end return {c, redis.call('PTTL', KEYS[1])}",
});
type HitRedis = Redis & { hit(key: string, ms: number): Promise<[number, number]> };

class RedisContext implements Context {
  init() {}
  async increment(key: string, duration = windowMs) {
    const [count, ttl] = await (redis as HitRedis).hit(prefix + key, duration);
    const now = Date.now();
    return { count, nextReset: new Date(now + ttl), start: now + ttl - duration };
  }
  async decrement(key: string) {
    await redis.decr(prefix + key);
  }
  async reset(key?: string) {
    if (key) await redis.del(prefix + key);
  }
  async kill() {
    redis.disconnect();
  }
}

const app = new Elysia()
  .use(logger({ stream: pino.destination({ dest: env.LOG_FILE ?? "/dev/null", sync: false }) }))
  .use(helmet())
  .use(cors({ origin: (env.ALLOWED_ORIGINS ?? "https://app.example.com").split(",") }))
  .onRequest(({ set }) => {
    set.headers["x-request-id"] = crypto.randomUUID();
  })
  .use(jwt({ name: "jwt", secret: env.JWT_SECRET ?? "", alg: "HS256" }))
  .derive({ as: "global" }, async ({ jwt, request, status }) => {
    const header = request.headers.get("authorization");
    const payload = header?.startsWith("Bearer ") ? await jwt.verify(header.slice(7)) : false;
    if (!payload || typeof payload.sub !== "string") return status(401, { success: false, error: "Unauthorized" });
    return { principal: payload as typeof payload & { sub: string; email: string; role: string; org: string } };
  })
  .use(
    rateLimit({
      max: Number(env.RATE_LIMIT_MAX ?? 1_000_000_000),
      duration: windowMs,
      context: new RedisContext(),
      generator: (_request, _server, { principal }: { principal: { sub: string } }) => principal.sub,
    }),
  )
  .get("/api/v1/me", ({ principal }) => ({
    success: true,
    data: { id: principal.sub, email: principal.email, role: principal.role, organizationId: principal.org },
  }))
  .listen({ hostname: "127.0.0.1", port: Number(env.PORT ?? 0) });

process.stdout.write(`listening ${app.server?.port}\n`);
process.on("SIGTERM", () => {
  app.stop();
  redis.disconnect();
  process.exit(0);
});
