import type { Credentials } from "./scenarios";

const routes = ["/api/v1/me", "/api/v1/prospects?limit=20"];
const encodings = ["identity", "gzip", "br"];

/**
 * Bytes on the wire per response for a small and a list response, by Accept-Encoding: compression
 * must leave small responses alone and shrink lists (issue 12). Bodies are read undecoded.
 */
export async function wireSizes(base: string, credentials: Credentials): Promise<string[]> {
  const lines = ["wire size per response (body bytes as sent):"];
  for (const route of routes) {
    const sizes: string[] = [];
    for (const encoding of encodings) {
      const response = await fetch(`${base}${route}`, {
        headers: { authorization: `Bearer ${credentials.accessToken}`, "accept-encoding": encoding },
        decompress: false,
      });
      const bytes = (await response.arrayBuffer()).byteLength;
      sizes.push(`${encoding} ${bytes} B (${response.headers.get("content-encoding") ?? "none"})`);
    }
    lines.push(`  ${route}: ${sizes.join(", ")}`);
  }
  return lines;
}
