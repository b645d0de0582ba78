import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import fc from "fast-check";
import { buildTestApp } from "../helpers/app";
import { dialects } from "../helpers/database";
import { envelopeProblem } from "./support/envelope";
import { describeRequest, requestsFor, routesOf, toRequest } from "./support/route-cases";
import { buildWorld, cannedAi, type World } from "./support/world";

const seed = Number(process.env.FUZZ_SEED ?? 20_261_125);
const numRuns = Number(process.env.FUZZ_RUNS ?? 60);
// The route list is the app's own: a new route is fuzzed without anyone adding it here. Deletions
// go last so that the other routes meet the real resources their generated ids point at.
const routes = routesOf(buildTestApp({ deps: { ai: cannedAi } }).app)
  .filter((r) => r.path !== "/docs")
  .sort((a, b) => Number(a.method === "DELETE") - Number(b.method === "DELETE"));

describe.each(dialects)("generated hostile input on %s", (dialect) => {
  let world: World;
  beforeAll(async () => {
    world = await buildWorld(dialect);
  }, 30_000);
  afterAll(() => world.database.drop());

  test.each(routes.map((r) => [`${r.method} ${r.path}`, r] as const))(
    "%s answers every generated body, query and path with a 4xx envelope or a success, never a 5xx",
    async (_name, route) => {
      // Logout with a session would end the session the other cases use; an admin key has none.
      const authorization = route.path.endsWith("/auth/logout") ? world.headers.adminKey : world.headers.admin;
      await fc.assert(
        fc.asyncProperty(requestsFor(route, world.resources, world.hints), async (input) => {
          const response = await world.app.handle(toRequest(route.method, input, authorization));
          const problem = (await nonApiSuccess(route.path, response)) ?? (await envelopeProblem(response));
          if (problem) throw new Error(`${describeRequest(route.method, input)} → ${problem}`);
          if (({} as Record<string, unknown>).polluted !== undefined) {
            throw new Error(`${describeRequest(route.method, input)} polluted Object.prototype`);
          }
        }),
        { seed, numRuns },
      );
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    },
    30_000,
  );
});

/** Outside /api/v1 a success may be HTML, JS or CSS (the docs): only its status matters there. */
async function nonApiSuccess(path: string, response: Response): Promise<string | undefined> {
  if (path.startsWith("/api/v1") || response.status >= 300) return undefined;
  await response.arrayBuffer();
  return "";
}
