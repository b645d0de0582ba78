interface RouteLike {
  method: string;
  path: string;
}

interface RouteRow {
  method: string;
  path: string;
  pattern: RegExp;
}

/**
 * Which methods a path answers to, from the app's own route list: Elysia answers a known path
 * with the wrong method as 404, and the contract prefers 405 with an Allow header.
 */
export function createAllowedMethods(routes: () => readonly RouteLike[]): (path: string) => string[] {
  const table = routeTable(routes);
  return (path) => {
    const methods = new Set<string>();
    for (const row of table()) if (row.pattern.test(path)) methods.add(row.method);
    if (methods.has("GET")) methods.add("HEAD");
    return [...methods];
  };
}

/**
 * The route template (`/api/v1/prospects/:id`) a method and path would match, for answers given
 * outside Elysia's pipeline (the request deadline). Static paths win over parameters, as in Elysia.
 */
export function createRouteMatcher(
  routes: () => readonly RouteLike[],
): (method: string, path: string) => string | undefined {
  const table = routeTable(routes);
  return (method, path) => {
    const wanted = method === "HEAD" ? "GET" : method;
    return table().find((row) => row.method === wanted && row.pattern.test(path))?.path;
  };
}

/** Built on first use: the routes are all registered by then. */
function routeTable(routes: () => readonly RouteLike[]): () => RouteRow[] {
  let table: RouteRow[] | undefined;
  return () => {
    table ??= routes()
      .filter((r) => r.method !== "ALL" && r.method !== "OPTIONS")
      .map((r) => ({ method: r.method, path: r.path, pattern: toPattern(r.path) }))
      .sort((a, b) => Number(a.path.includes(":")) - Number(b.path.includes(":")));
    return table;
  };
}

function toPattern(path: string): RegExp {
  const source = path
    .split("/")
    .map((part) => (part.startsWith(":") ? "[^/]+" : part === "*" ? ".*" : escapeRegExp(part)))
    .join("/");
  return new RegExp(`^${source}/?$`);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
