interface RouteLike {
  method: string;
  path: string;
}

/**
 * Which methods a path answers to, from the app's own route list: Elysia answers a known path
 * with the wrong method as 404, and the contract prefers 405 with an Allow header.
 */
export function createAllowedMethods(routes: () => readonly RouteLike[]): (path: string) => string[] {
  let table: { pattern: RegExp; method: string }[] | undefined;
  return (path) => {
    table ??= routes()
      .filter((r) => r.method !== "ALL" && r.method !== "OPTIONS")
      .map((r) => ({ method: r.method, pattern: toPattern(r.path) }));
    const methods = new Set<string>();
    for (const row of table) if (row.pattern.test(path)) methods.add(row.method);
    if (methods.has("GET")) methods.add("HEAD");
    return [...methods];
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
