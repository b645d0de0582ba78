import type { Config } from "../../config";
import { errorNames } from "../../http/errors";

const headerRef = (name: string) => ({ $ref: `#/components/headers/${name}` });

/** Headers every response carries, and those of /api/v1 (the rate limit's). */
export const commonHeaders = { "X-Request-Id": headerRef("X-Request-Id") };
export const rateLimitHeaders = {
  "X-RateLimit-Limit": headerRef("X-RateLimit-Limit"),
  "X-RateLimit-Remaining": headerRef("X-RateLimit-Remaining"),
  "X-RateLimit-Reset": headerRef("X-RateLimit-Reset"),
  RateLimit: headerRef("RateLimit"),
  "RateLimit-Policy": headerRef("RateLimit-Policy"),
};

/** What each error status means, for the shared `components.responses`. */
const errorDescriptions: Record<number, string> = {
  400: "Bad request: malformed JSON, a body nested too deep or not UTF-8, a bad Host header",
  401: "Missing, invalid or expired credentials (`WWW-Authenticate: Bearer`)",
  403: "The caller's role is too low for this action",
  404: "No such resource in the caller's organization",
  409: "Conflicts with the current state (a duplicate, the last admin, an Idempotency-Key in use)",
  413: "The body is larger than BODY_LIMIT",
  415: "A body that is not `application/json`",
  422: "The request does not validate; `errors` names each field",
  429: "Over a rate limit; `Retry-After` says when to try again",
  500: "An unexpected failure (no details outside development)",
  502: "A dependency answered with something unusable",
  503: "A dependency (the database, the AI provider) is unavailable, or the server is overloaded",
  504: "A dependency did not answer in time",
};

export const errorStatuses = Object.keys(errorDescriptions).map(Number);

/** `#/components/responses/<Name>` of an error status. */
export function errorResponseRef(status: number) {
  const name = errorNames[status];
  if (!name || !errorDescriptions[status]) throw new Error(`no documented error response for ${status}`);
  return { $ref: `#/components/responses/${name}` };
}

function errorResponses() {
  const envelope = { $ref: "#/components/schemas/ErrorEnvelope" };
  return Object.fromEntries(
    errorStatuses.map((status) => {
      const headers: Record<string, unknown> = { ...commonHeaders, ...rateLimitHeaders };
      if (status === 429) headers["Retry-After"] = headerRef("Retry-After");
      // Database and overload 503s say when to retry; "AI is not configured" has nothing to wait for.
      if (status === 503) headers["Retry-After"] = { ...retryAfter, required: false };
      if (status === 401) headers["WWW-Authenticate"] = headerRef("WWW-Authenticate");
      const schema = status === 422 ? { allOf: [envelope, { required: ["errors"] }] } : envelope;
      return [
        errorNames[status] as string,
        { description: errorDescriptions[status], headers, content: { "application/json": { schema } } },
      ];
    }),
  );
}

const retryAfter = {
  description: "Seconds to wait before trying again.",
  required: true,
  schema: { type: "integer", minimum: 0 },
};

const integerHeader = (description: string) => ({ description, schema: { type: "integer", minimum: 0 } });
const rateLimitNote = " On /api/v1 responses while rate limiting is on (always in production).";

const headers = {
  "X-Request-Id": {
    description: "The request's id: the client's own `X-Request-Id` when valid, otherwise `req_<unix s>_<random>`.",
    required: true,
    schema: { type: "string", minLength: 1, maxLength: 128, pattern: "^[A-Za-z0-9._:-]+$" },
  },
  "X-RateLimit-Limit": integerHeader(
    `Requests allowed in the window of the policy closest to its limit.${rateLimitNote}`,
  ),
  "X-RateLimit-Remaining": integerHeader(`Requests left in that window.${rateLimitNote}`),
  "X-RateLimit-Reset": integerHeader(`When that window ends, in unix seconds.${rateLimitNote}`),
  RateLimit: {
    description: `IETF draft-ietf-httpapi-ratelimit-headers field, e.g. \`"general";r=95;t=42\`.${rateLimitNote}`,
    schema: { type: "string" },
  },
  "RateLimit-Policy": {
    description: `IETF draft-ietf-httpapi-ratelimit-headers field, e.g. \`"general";q=100;w=60\`.${rateLimitNote}`,
    schema: { type: "string" },
  },
  "Retry-After": retryAfter,
  "WWW-Authenticate": {
    description: 'RFC 6750 challenge: `Bearer realm="api"`, with `error="invalid_token"` for a bad token.',
    required: true,
    schema: { type: "string" },
  },
};

/** The parts of the OpenAPI document that no route schema says: who we are, where, how to sign in. */
export function documentation(config: Config) {
  return {
    info: {
      title: "Revenue API",
      version: config.release.includes("@")
        ? config.release.slice(config.release.lastIndexOf("@") + 1)
        : config.release,
      description:
        "Prospects, search, outbound email and AI drafting. Every response is the `{ success, data }` envelope " +
        "(lists add `meta`); every error is the `ErrorEnvelope`, with `errors` on 422.",
      contact: { name: "Revenue API team" },
      license: { name: "Proprietary", identifier: "LicenseRef-Proprietary" },
    },
    servers: [
      {
        url: config.publicUrl ?? "/",
        description: config.publicUrl ? "This deployment (PUBLIC_URL)" : "The server that served this document",
      },
    ],
    tags: [
      { name: "health", description: "Liveness and readiness probes" },
      { name: "auth", description: "Sign in, refresh and sign out" },
      { name: "users", description: "Users of the caller's organization (admin)" },
      { name: "api-keys", description: "API keys for integrations (admin)" },
      { name: "usage", description: "API use of the organization (admin)" },
      { name: "prospects", description: "Prospects of the caller's organization" },
      { name: "search", description: "Full-text search" },
      { name: "emails", description: "Outbound email" },
      { name: "ai", description: "AI drafting" },
      { name: "operations", description: "Metrics for operators" },
    ],
    components: {
      securitySchemes: {
        bearer: {
          type: "http" as const,
          scheme: "bearer",
          bearerFormat: "JWT",
          description: "`Authorization: Bearer <access token>` from POST /api/v1/auth/login or /auth/refresh.",
        },
        metricsToken: {
          type: "http" as const,
          scheme: "bearer",
          description: "`Authorization: Bearer <METRICS_TOKEN>`, required by /metrics when METRICS_TOKEN is set.",
        },
        apiKey: {
          type: "apiKey" as const,
          in: "header" as const,
          name: "Authorization",
          description: "`Authorization: ApiKey sk_live_…` (also accepted as `Authorization: Bearer sk_live_…`).",
        },
      },
      headers,
      responses: errorResponses(),
    },
  };
}
