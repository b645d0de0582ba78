import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { buildTestApp, expectErrorEnvelope } from "../helpers/app";
import { dialects } from "../helpers/database";
import { routeRequests } from "./support/route-requests";
import { buildWorld, cannedAi, type World } from "./support/world";

const polluters: Record<string, string> = {
  __proto__: '"__proto__":{"polluted":true}',
  "constructor.prototype": '"constructor":{"prototype":{"polluted":true}}',
};
const writeRoutes = buildTestApp({ deps: { ai: cannedAi } })
  .app.routes.filter((r) => r.path.startsWith("/api/v1/") && (r.method === "POST" || r.method === "PATCH"))
  .map((r) => `${r.method} ${r.path}`);
const readRoutes = buildTestApp({ deps: { ai: cannedAi } })
  .app.routes.filter((r) => r.path.startsWith("/api/v1/") && r.method === "GET" && !r.path.includes(":"))
  .map((r) => `${r.method} ${r.path}`);

/** `{"__proto__":…, <the valid members>}` as text: an object literal would set the prototype instead. */
function withPolluter(body: unknown, polluter: string): string {
  const members = JSON.stringify(body ?? {}).slice(1, -1);
  return `{${polluter}${members ? `,${members}` : ""}}`;
}

describe.each(dialects)("prototype pollution on %s", (dialect) => {
  let world: World;
  beforeAll(async () => {
    world = await buildWorld(dialect);
  }, 30_000);
  afterAll(() => world.database.drop());

  const cases = writeRoutes.flatMap((key) => Object.keys(polluters).map((name) => [key, name] as const));

  test.each(cases)("%s with a %s payload succeeds as without it and pollutes nothing", async (key, name) => {
    const entry = routeRequests[key] as NonNullable<(typeof routeRequests)[string]>;
    const valid = await entry.build(world);
    // Logging out with the admin's session would end it for the cases after this one.
    const caller = key.endsWith("/auth/logout") ? world.headers.adminKey : world.headers.admin;
    const response = await world.app.handle(
      new Request(`http://localhost${valid.path}`, {
        method: key.split(" ")[0],
        headers: { ...caller, "content-type": "application/json" },
        body: withPolluter(valid.body, polluters[name] as string),
      }),
    );
    const text = await response.text();
    expect({ status: response.status, text }).toMatchObject({ status: entry.status });
    expect(text).not.toContain("polluted");
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.hasOwn(Object.prototype, "polluted")).toBe(false);
  });

  test.each(readRoutes)("%s with polluting query parameters pollutes nothing", async (key) => {
    const path = key.split(" ")[1] as string;
    const query = "__proto__[polluted]=true&constructor[prototype][polluted]=true&__proto__.polluted=true";
    const response = await world.call(
      "GET",
      `${path}?${query}${path.endsWith("/search") ? "&q=x" : ""}`,
      world.headers.admin,
    );
    expect(response.status).toBeLessThan(500);
    expect(await response.text()).not.toContain("polluted");
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  test("no stored row of any resource carries the payload", async () => {
    const { sql } = world.database.db;
    for (const table of ["organizations", "users", "api_keys", "prospects", "emails", "sessions"]) {
      const rows = await sql.unsafe(`select * from ${table}`);
      expect({ table, rows: JSON.stringify(rows).includes("polluted") }).toEqual({ table, rows: false });
    }
  });
});

describe.each(dialects)("bodies that are not JSON objects, on %s", (dialect) => {
  let world: World;
  beforeAll(async () => {
    world = await buildWorld(dialect);
  }, 30_000);
  afterAll(() => world.database.drop());

  // Every route that takes a body, from the app's own route list, against a real resource id.
  const bodyRoutes = buildTestApp({ deps: { ai: cannedAi } })
    .app.routes.filter((r) => r.path.startsWith("/api/v1/") && ["POST", "PATCH", "PUT"].includes(r.method))
    .map((r) => `${r.method} ${r.path}`);
  const notObjects = ["[]", "[{}]", '"x"', "42", "true", "false", "null"];
  const cases = bodyRoutes.flatMap((key) => notObjects.map((text) => [key, text] as const));

  test("the table covers the routes the issue names", () => {
    expect(bodyRoutes).toEqual(
      expect.arrayContaining(["PATCH /api/v1/users/:id", "PATCH /api/v1/prospects/:id", "POST /api/v1/auth/logout"]),
    );
  });

  test.each(cases)("%s with the JSON body %s answers 422 on body and changes nothing", async (key, text) => {
    const entry = routeRequests[key] as NonNullable<(typeof routeRequests)[string]>;
    const valid = await entry.build(world);
    // Logging out with the admin's session would end it for the cases after this one.
    const caller = key.endsWith("/auth/logout") ? world.headers.adminKey : world.headers.admin;
    const before = key.startsWith("PATCH") ? await (await world.call("GET", valid.path, caller)).text() : undefined;
    const response = await world.app.handle(
      new Request(`http://localhost${valid.path}`, {
        method: key.split(" ")[0],
        headers: { ...caller, "content-type": "application/json" },
        body: text,
      }),
    );
    const body = await expectErrorEnvelope(response, 422, "ValidationError");
    expect(body.errors).toEqual({ body: ["Body must be a JSON object"] });
    if (before !== undefined) {
      const after = await (await world.call("GET", valid.path, caller)).text();
      expect(JSON.parse(after).data).toEqual(JSON.parse(before).data);
    }
  });
});

describe.each(dialects)("bytes that databases refuse, on %s", (dialect) => {
  let world: World;
  beforeAll(async () => {
    world = await buildWorld(dialect);
  }, 30_000);
  afterAll(() => world.database.drop());

  // Postgres cannot store or compare U+0000 in text, nor dates past year 9999 in some forms; SQLite
  // takes both. Either way the client gets a 4xx envelope, never a 500.
  const postgres = dialect === "postgres";
  const cases: Array<{ name: string; method: string; path: string; status: number; body?: unknown }> = [
    { name: "a NUL in a path id", method: "GET", path: "/api/v1/prospects/%00", status: postgres ? 400 : 404 },
    {
      name: "a NUL in a path id to delete",
      method: "DELETE",
      path: "/api/v1/prospects/a%00b",
      status: postgres ? 400 : 404,
    },
    { name: "a NUL in a list filter", method: "GET", path: "/api/v1/prospects?tag=%00", status: postgres ? 400 : 200 },
    { name: "a NUL in a search", method: "GET", path: "/api/v1/search?q=a%00b", status: postgres ? 400 : 200 },
    {
      name: "a NUL in a stored field",
      method: "POST",
      path: "/api/v1/prospects",
      status: postgres ? 400 : 201,
      body: { email: "nul@example.com", notes: "a\u0000b" },
    },
    // Extended years are no RFC 3339 date-time: refused before any database sees them.
    {
      name: "a year Postgres cannot store",
      method: "POST",
      path: "/api/v1/api-keys",
      status: 422,
      body: { name: "far", expiresAt: "+200000-01-01T00:00:00Z" },
    },
    {
      name: "a year before 1 AD in a range",
      method: "GET",
      path: "/api/v1/usage?to=-000015-01-01T00%3A00%3A00Z",
      status: 422,
    },
    {
      name: "the earliest instant a Date holds",
      method: "GET",
      path: "/api/v1/usage?to=-271821-04-20T00%3A00%3A00Z",
      status: 422,
    },
  ];

  test.each(cases)("$name: $method $path answers $status", async ({ method, path, status, body }) => {
    const response = await world.call(method, path, world.headers.admin, body);
    if (status >= 400) {
      await expectErrorEnvelope(
        response,
        status,
        status === 400 ? "BadRequest" : status === 404 ? "NotFound" : "ValidationError",
      );
    } else {
      expect(response.status).toBe(status);
    }
  });
});

describe("JSON nesting", () => {
  let world: World;
  beforeAll(async () => {
    world = await buildWorld("sqlite");
  }, 30_000);
  afterAll(() => world.database.drop());

  const nested = (depth: number) =>
    `{"email":"deep@example.com","tags":${"[".repeat(depth - 1)}${"]".repeat(depth - 1)}}`;
  const post = (text: string) =>
    world.app.handle(
      new Request("http://localhost/api/v1/prospects", {
        method: "POST",
        headers: { ...world.headers.admin, "content-type": "application/json" },
        body: text,
      }),
    );

  test("refuses a body nested deeper than 32 levels with 400, before parsing it", async () => {
    const body = await expectErrorEnvelope(await post(nested(33)), 400, "BadRequest");
    expect(body.message).toBe("JSON body is nested deeper than 32 levels");
    const deep = await expectErrorEnvelope(await post(nested(100_000)), 400, "BadRequest");
    expect(deep.message).toBe("JSON body is nested deeper than 32 levels");
  });

  test("parses a body 32 levels deep and judges it by the schema (422)", async () => {
    await expectErrorEnvelope(await post(nested(32)), 422, "ValidationError");
  });
});
