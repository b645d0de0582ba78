export const roles = ["viewer", "user", "admin"] as const;
export type Role = (typeof roles)[number];

/** Who is calling: a signed-in user (JWT) or an integration (API key). */
export interface Principal {
  kind: "user" | "apiKey";
  /** Stable key for rate limits and logs: `user:<id>` or `key:<id>`. */
  id: string;
  userId: string | null;
  apiKeyId: string | null;
  sessionId: string | null;
  organizationId: string;
  role: Role;
  /** The user's email (JWT principals), for /me without a database read. */
  email: string | null;
  /** Display facts of an API key principal. */
  apiKey: { name: string; prefix: string } | null;
}

export function roleAtLeast(role: Role, minimum: Role): boolean {
  return roles.indexOf(role) >= roles.indexOf(minimum);
}

export function lowerRole(a: Role, b: Role): Role {
  return roles.indexOf(a) <= roles.indexOf(b) ? a : b;
}
