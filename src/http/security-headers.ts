import type { Config } from "../config";

/** The seed's Helmet list plus a CSP for JSON responses: an API page has nothing to load or frame. */
export const securityHeaders: Record<string, string> = {
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "x-xss-protection": "1; mode=block",
  "strict-transport-security": "max-age=31536000",
  "content-security-policy": "default-src 'none'; frame-ancestors 'none'; base-uri 'none'",
  "referrer-policy": "no-referrer",
  "cross-origin-resource-policy": "same-site",
};

export const exposedHeaders = [
  "X-Request-Id",
  "X-RateLimit-Limit",
  "X-RateLimit-Remaining",
  "X-RateLimit-Reset",
  "RateLimit",
  "RateLimit-Policy",
  "Retry-After",
  "ETag",
  "Idempotent-Replayed",
].join(", ");

const allowedMethods = "GET, POST, PUT, PATCH, DELETE, OPTIONS";
const allowedHeaders = "Authorization, Content-Type, Idempotency-Key, X-Request-Id, If-None-Match";
const localOrigin = /^http:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/;

/** Exact allow-list from ALLOWED_ORIGINS; in development without it, localhost on any port. */
export function createOriginCheck(allowed: Config["allowedOrigins"]): (origin: string) => boolean {
  if (allowed === "localhost") return (origin) => localOrigin.test(origin);
  const set = new Set(allowed);
  return (origin) => set.has(origin);
}

export function corsHeaders(origin: string): Record<string, string> {
  return { "access-control-allow-origin": origin, "access-control-expose-headers": exposedHeaders };
}

export function preflightHeaders(origin: string): Record<string, string> {
  return {
    "access-control-allow-origin": origin,
    "access-control-allow-methods": allowedMethods,
    "access-control-allow-headers": allowedHeaders,
    "access-control-max-age": "600",
    vary: "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
  };
}
