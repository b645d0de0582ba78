/**
 * Peer: Fastify 5 on Node with its own plugins. GET /api/v1/me: JWT verify (@fastify/jwt), a limit
 * on Redis keyed by the token's subject (@fastify/rate-limit with its `redis` option, x-ratelimit-*
 * headers), security headers (@fastify/helmet), CORS (@fastify/cors, an allow-list), a request id
 * (Fastify's own, sent back as X-Request-Id), one pino line per request to a file (pino's
 * asynchronous destination, as pino recommends for production; Fastify's two default request lines
 * replaced by one onResponse line).
 */
import { randomUUID } from "node:crypto";
import cors from "@fastify/cors";
import helmet from "@fastify/helmet";
import jwt from "@fastify/jwt";
import rateLimit from "@fastify/rate-limit";
import Fastify from "fastify";
import Redis from "ioredis";
import pino from "pino";

const env = process.env;
const redis = new Redis(env.REDIS_URL ?? "redis://127.0.0.1:6379", { connectTimeout: 500, maxRetriesPerRequest: 1 });

const app = Fastify({
  loggerInstance: pino({ level: "info" }, pino.destination({ dest: env.LOG_FILE ?? "/dev/null", sync: false })),
  disableRequestLogging: true,
  requestIdHeader: "x-request-id",
  genReqId: () => randomUUID(),
});
await app.register(helmet);
await app.register(cors, { origin: (env.ALLOWED_ORIGINS ?? "https://app.example.com").split(",") });
await app.register(jwt, { secret: env.JWT_SECRET ?? "", verify: { algorithms: ["HS256"] } });
app.addHook("onRequest", async (request) => {
  await request.jwtVerify();
});
await app.register(rateLimit, {
  max: Number(env.RATE_LIMIT_MAX ?? 1_000_000_000),
  timeWindow: 60_000,
  redis,
  nameSpace: env.RATE_LIMIT_PREFIX ?? "peer-fastify:",
  hook: "preHandler",
  keyGenerator: (request) => request.user.sub,
});
app.addHook("onSend", async (request, reply) => {
  reply.header("x-request-id", request.id);
});
app.addHook("onResponse", async (request, reply) => {
  request.log.info(
    { method: request.method, url: request.url, status: reply.statusCode, ms: reply.elapsedTime },
    "request",
  );
});
app.get("/api/v1/me", async (request) => {
  const claims = request.user;
  return {
    success: true,
    data: { id: claims.sub, email: claims.email, role: claims.role, organizationId: claims.org },
  };
});

await app.listen({ host: "127.0.0.1", port: Number(env.PORT ?? 0) });
process.stdout.write(`listening ${app.server.address().port}\n`);
process.on("SIGTERM", async () => {
  await app.close();
  redis.disconnect();
  process.exit(0);
});
