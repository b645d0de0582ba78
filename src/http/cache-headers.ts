/** Routes whose responses carry a token, a key or personal data: never stored by any cache. */
const noStorePrefixes = ["/api/v1/auth", "/api/v1/me", "/api/v1/api-keys", "/api/v1/users"];

/**
 * The Cache-Control a response gets when its route did not choose one. Errors and anything
 * secret are `no-store`; other API reads may be kept by the client's own cache but revalidated
 * (with the ETag) before each use; the docs UI's files change only with a release.
 */
export function cachePolicy(method: string, path: string, status: number): string | undefined {
  if (status >= 400) return "no-store";
  if (pathUnder(path, "/api/v1")) {
    if (noStorePrefixes.some((prefix) => pathUnder(path, prefix))) return "no-store";
    return method === "GET" || method === "HEAD" ? "private, no-cache" : "no-store";
  }
  if (pathUnder(path, "/docs/assets")) return "public, max-age=86400";
  if (pathUnder(path, "/docs")) return "no-cache";
  return undefined;
}

/** `path` is `prefix` or below it: /api/v1/me and /api/v1/me/x, not /api/v1/meetings. */
export function pathUnder(path: string, prefix: string): boolean {
  return path.startsWith(prefix) && (path.length === prefix.length || path.charCodeAt(prefix.length) === 47);
}
