import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { roleAtLeast } from "../../src/modules/auth/principal";
import { buildTestApp } from "../helpers/app";
import { dialects } from "../helpers/database";
import { expectErrorBody } from "./support/envelope";
import { namesOrgAResource, routeRequests } from "./support/route-requests";
import { type Minimum, minimumRole } from "./support/route-roles";
import { buildWorld, type Caller, callers, cannedAi, type World } from "./support/world";

const roleOf: Record<Exclude<Caller, "anonymous" | "orphanedAdminKey">, "viewer" | "user" | "admin"> = {
  viewer: "viewer",
  user: "user",
  admin: "admin",
  viewerKey: "viewer",
  userKey: "user",
  adminKey: "admin",
  // The lower of the key's role (admin) and its creator's current one (viewer).
  demotedAdminKey: "viewer",
  otherOrgAdmin: "admin",
};

/** The status a caller must get from a valid request to a route. */
function expectedStatus(key: string, caller: Caller): number {
  const minimum = minimumRole[key] as Minimum;
  const success = routeRequests[key]?.status ?? 200;
  if (minimum === "anyone") return success;
  // No credentials, or a key whose creator is gone: the key has no authority left.
  if (caller === "anonymous" || caller === "orphanedAdminKey") return 401;
  if (!roleAtLeast(roleOf[caller], minimum)) return 403;
  // Another organization's resource is a 404, exactly like one that does not exist.
  if (caller === "otherOrgAdmin" && namesOrgAResource(key)) return 404;
  return success;
}

const apiRoutes = buildTestApp({ deps: { ai: cannedAi } })
  .app.routes.filter((r) => r.path.startsWith("/api/v1/"))
  .map((r) => `${r.method} ${r.path}`);
// Logging out ends the caller's session: it goes last, when no other case needs the session.
const cases = [...apiRoutes]
  .sort((a, b) => Number(a.endsWith("/auth/logout")) - Number(b.endsWith("/auth/logout")))
  .flatMap((key) => callers.map((caller) => [key, caller, expectedStatus(key, caller)] as const));

test("the matrix has exactly one entry for every /api/v1 route of the app", () => {
  expect([...apiRoutes].sort()).toEqual(Object.keys(minimumRole).sort());
  expect([...apiRoutes].sort()).toEqual(Object.keys(routeRequests).sort());
});

/** With input that fails validation: those who may not call the route learn only that (401/403). */
function expectedForInvalid(key: string, caller: Caller): number {
  const status = expectedStatus(key, caller);
  return status === 401 || status === 403 ? status : 422;
}
const invalidCases = cases
  .filter(([key]) => routeRequests[key]?.invalid)
  .map(([key, caller]) => [key, caller, expectedForInvalid(key, caller)] as const);

describe.each(dialects)("authorization matrix on %s", (dialect) => {
  let world: World;
  beforeAll(async () => {
    world = await buildWorld(dialect);
  }, 30_000);
  afterAll(() => world.database.drop());

  test.each(invalidCases)("%s as %s with input that fails validation → %d", async (key, caller, status) => {
    const method = key.split(" ")[0] as string;
    const invalid = routeRequests[key]?.invalid as NonNullable<(typeof routeRequests)[string]["invalid"]>;
    const response = await world.call(method, invalid.path, world.headers[caller], invalid.body);
    expect(response.status).toBe(status);
    expectErrorBody(await response.json(), status);
  });

  test.each(cases)("%s as %s → %d", async (key, caller, status) => {
    const method = key.split(" ")[0] as string;
    const valid = await (routeRequests[key] as NonNullable<(typeof routeRequests)[string]>).build(world);
    const response = await world.call(method, valid.path, world.headers[caller], valid.body);
    const body = (await response.json()) as Record<string, unknown>;
    expect({ status: response.status, body }).toMatchObject({ status });
    if (status >= 400) expectErrorBody(body, status);
    else expect(body.success).toBe(true);
    if (status === 401 && caller === "anonymous") {
      expect(response.headers.get("www-authenticate")).toBe('Bearer realm="api"');
    }
    if (status === 401 && caller === "orphanedAdminKey") {
      expect(response.headers.get("www-authenticate")).toStartWith('Bearer error="invalid_token"');
    }
  });
});
