export type Minimum = "anyone" | "viewer" | "user" | "admin";

/**
 * Who may call each /api/v1 route: the least role, for users and API keys alike. A route added
 * to the app without a line here fails the authorization matrix's first test. Email reads are open to viewers as
 * docs/email-ai.md says (CONTRACT.md's table says `user`: the lead decides which one to keep).
 */
export const minimumRole: Record<string, Minimum> = {
  "POST /api/v1/auth/login": "anyone",
  "POST /api/v1/auth/refresh": "anyone",
  "POST /api/v1/auth/logout": "viewer",
  "GET /api/v1/me": "viewer",
  "GET /api/v1/users": "admin",
  "POST /api/v1/users": "admin",
  "PATCH /api/v1/users/:id": "admin",
  "DELETE /api/v1/users/:id": "admin",
  "GET /api/v1/api-keys": "admin",
  "POST /api/v1/api-keys": "admin",
  "DELETE /api/v1/api-keys/:id": "admin",
  "GET /api/v1/usage": "admin",
  "POST /api/v1/emails": "user",
  "GET /api/v1/emails": "user",
  "GET /api/v1/emails/:id": "user",
  "GET /api/v1/prospects": "viewer",
  "POST /api/v1/prospects": "user",
  "GET /api/v1/prospects/:id": "viewer",
  "PATCH /api/v1/prospects/:id": "user",
  "DELETE /api/v1/prospects/:id": "user",
  "GET /api/v1/search": "viewer",
  "POST /api/v1/ai/draft-email": "user",
};
