import { testPassword } from "../../helpers/fixtures";
import { concretePath, type World } from "./world";

/** A request that passes validation, so that its status says whether the caller may make it. */
export interface ValidRequest {
  path: string;
  body?: unknown;
}

interface Entry {
  /** The status of success. */
  status: number;
  build(world: World): Promise<ValidRequest>;
  /** A request that fails validation (422), for routes that take any input. */
  invalid?: ValidRequest;
}

const unique = () => Bun.randomUUIDv7().slice(-12);
/** Past every :id schema's 64 characters. */
const tooLongId = "x".repeat(65);
const notAnObject = (path: string): ValidRequest => ({ path, body: "not an object" });
/** Every :id points at a new resource of organization A, so one case cannot spoil the next. */
const freshPath = (world: World, template: string) => concretePath(template, (resource) => world.fresh[resource]());
const at = (template: string, body?: (world: World) => Promise<unknown> | unknown) => ({
  async build(world: World) {
    return { path: await freshPath(world, template), body: await body?.(world) };
  },
});

/** A valid request, and an invalid one, for every /api/v1 route, keyed "METHOD path" like the app's route list. */
export const routeRequests: Record<string, Entry> = {
  "POST /api/v1/auth/login": {
    status: 200,
    invalid: notAnObject("/api/v1/auth/login"),
    ...at("/api/v1/auth/login", (w) => ({ email: w.org.viewer.email, password: testPassword })),
  },
  "POST /api/v1/auth/refresh": {
    status: 200,
    invalid: notAnObject("/api/v1/auth/refresh"),
    ...at("/api/v1/auth/refresh", async (w) => ({ refreshToken: await w.fresh.refreshToken() })),
  },
  "POST /api/v1/auth/logout": {
    status: 200,
    invalid: { path: "/api/v1/auth/logout", body: { scope: "everything" } },
    ...at("/api/v1/auth/logout", () => ({})),
  },
  "GET /api/v1/me": { status: 200, ...at("/api/v1/me") },
  "GET /api/v1/users": { status: 200, invalid: { path: "/api/v1/users?limit=0" }, ...at("/api/v1/users") },
  "POST /api/v1/users": {
    status: 201,
    invalid: notAnObject("/api/v1/users"),
    ...at("/api/v1/users", () => ({
      email: `n-${unique()}@org.example.com`,
      password: "a new password 1",
      role: "viewer",
    })),
  },
  "PATCH /api/v1/users/:id": {
    status: 200,
    invalid: notAnObject(`/api/v1/users/${tooLongId}`),
    ...at("/api/v1/users/:id", () => ({ role: "user" })),
  },
  "DELETE /api/v1/users/:id": {
    status: 200,
    invalid: { path: `/api/v1/users/${tooLongId}` },
    ...at("/api/v1/users/:id"),
  },
  "GET /api/v1/api-keys": { status: 200, invalid: { path: "/api/v1/api-keys?limit=0" }, ...at("/api/v1/api-keys") },
  "POST /api/v1/api-keys": {
    status: 201,
    invalid: notAnObject("/api/v1/api-keys"),
    ...at("/api/v1/api-keys", () => ({ name: "integration", role: "viewer" })),
  },
  "DELETE /api/v1/api-keys/:id": {
    status: 200,
    invalid: { path: `/api/v1/api-keys/${tooLongId}` },
    ...at("/api/v1/api-keys/:id"),
  },
  "GET /api/v1/usage": { status: 200, invalid: { path: "/api/v1/usage?from=yesterday" }, ...at("/api/v1/usage") },
  "POST /api/v1/emails": {
    status: 202,
    invalid: notAnObject("/api/v1/emails"),
    ...at("/api/v1/emails", (w) => ({ prospectId: w.resources.prospectId, subject: "Hello", text: "A short note." })),
  },
  "GET /api/v1/emails": { status: 200, invalid: { path: "/api/v1/emails?limit=0" }, ...at("/api/v1/emails") },
  "GET /api/v1/emails/:id": {
    status: 200,
    invalid: { path: `/api/v1/emails/${tooLongId}` },
    ...at("/api/v1/emails/:id"),
  },
  "GET /api/v1/prospects": { status: 200, invalid: { path: "/api/v1/prospects?limit=0" }, ...at("/api/v1/prospects") },
  "POST /api/v1/prospects": {
    status: 201,
    invalid: notAnObject("/api/v1/prospects"),
    ...at("/api/v1/prospects", () => ({ email: `q-${unique()}@prospect.example.com`, firstName: "Quinn" })),
  },
  "GET /api/v1/prospects/:id": {
    status: 200,
    invalid: { path: `/api/v1/prospects/${tooLongId}` },
    ...at("/api/v1/prospects/:id"),
  },
  "PATCH /api/v1/prospects/:id": {
    status: 200,
    invalid: notAnObject(`/api/v1/prospects/${tooLongId}`),
    ...at("/api/v1/prospects/:id", () => ({ status: "contacted" })),
  },
  "DELETE /api/v1/prospects/:id": {
    status: 200,
    invalid: { path: `/api/v1/prospects/${tooLongId}` },
    ...at("/api/v1/prospects/:id"),
  },
  "GET /api/v1/search": { status: 200, invalid: { path: "/api/v1/search" }, ...at("/api/v1/search?q=prospect") },
  "POST /api/v1/ai/draft-email": {
    status: 200,
    invalid: notAnObject("/api/v1/ai/draft-email"),
    ...at("/api/v1/ai/draft-email", (w) => ({ prospectId: w.resources.prospectId, goal: "Book a call" })),
  },
};

/** Routes whose request names a resource of organization A in its path or body. */
export function namesOrgAResource(key: string): boolean {
  return key.includes("/:") || key === "POST /api/v1/emails" || key === "POST /api/v1/ai/draft-email";
}
