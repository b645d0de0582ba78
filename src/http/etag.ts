/**
 * A weak validator for a response body: the body's length and a 64-bit wyhash (Bun.hash, a few
 * hundred nanoseconds for a typical page). Weak because the same tag is sent for every content
 * coding of the body (RFC 9110 §8.8.1), so it is computed before compression.
 */
export function weakEtag(body: string): string {
  return `W/"${body.length.toString(36)}-${Bun.hash(body).toString(36)}"`;
}

/**
 * If-None-Match uses the weak comparison (RFC 9110 §13.1.2): `*`, or any listed tag whose opaque
 * part equals ours, with or without `W/`.
 */
export function ifNoneMatchHits(header: string | null, etag: string): boolean {
  if (header === null) return false;
  const opaque = stripWeak(etag);
  for (const candidate of header.split(",")) {
    const tag = candidate.trim();
    if (tag === "*" || stripWeak(tag) === opaque) return true;
  }
  return false;
}

function stripWeak(tag: string): string {
  return tag.startsWith("W/") ? tag.slice(2) : tag;
}
