import type { Config } from "../../config";

/** Security requirement for routes that accept a user's JWT or an integration's API key. */
export const bearerOrApiKey = [{ bearer: [] }, { apiKey: [] }];

/** Security requirement for routes that only a signed-in user (JWT) may call. */
export const bearerOnly = [{ bearer: [] }];

/** The parts of the OpenAPI document that no route schema says: who we are and how to sign in. */
export function documentation(config: Config) {
  return {
    info: {
      title: "Revenue API",
      version: config.release.includes("@")
        ? config.release.slice(config.release.lastIndexOf("@") + 1)
        : config.release,
      description:
        "Prospects, search, outbound email and AI drafting. Every response is the `{ success, data }` envelope; " +
        "errors carry `error`, `message`, `statusCode`, `timestamp`, `path`, `method` and `requestId`.",
    },
    tags: [
      { name: "health", description: "Liveness and readiness probes" },
      { name: "auth", description: "Sign in, refresh and sign out" },
      { name: "users", description: "Users of the caller's organization (admin)" },
      { name: "api-keys", description: "API keys for integrations (admin)" },
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
        apiKey: {
          type: "apiKey" as const,
          in: "header" as const,
          name: "Authorization",
          description: "`Authorization: ApiKey sk_live_…` (also accepted as `Authorization: Bearer sk_live_…`).",
        },
      },
    },
  };
}
