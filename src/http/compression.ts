import { promisify } from "node:util";
import { brotliCompress, brotliCompressSync, constants, gzip } from "node:zlib";

export type Encoding = "br" | "gzip";

/**
 * The content coding to answer with, from Accept-Encoding (RFC 9110 §12.5.3): the acceptable
 * coding with the highest q-value, gzip on a tie; none when identity is preferred or nothing we
 * speak is acceptable. A coding that is not listed is acceptable only through `*`. gzip wins a tie
 * because it costs half of brotli's CPU for ~13% more bytes on a 10 KB list (27 vs 55 µs): on a
 * CPU-bound pod that is throughput; a client that ranks br higher still gets br.
 */
export function negotiateEncoding(acceptEncoding: string | null): Encoding | undefined {
  if (!acceptEncoding) return undefined;
  let br: number | undefined;
  let gzip: number | undefined;
  let identity: number | undefined;
  let star: number | undefined;
  for (const part of acceptEncoding.split(",")) {
    const [rawName = "", ...params] = part.split(";");
    const name = rawName.trim().toLowerCase();
    const q = qValue(params);
    if (name === "br") br = q;
    else if (name === "gzip" || name === "x-gzip") gzip = q;
    else if (name === "identity") identity = q;
    else if (name === "*") star = q;
  }
  const brQ = br ?? star ?? 0;
  const gzipQ = gzip ?? star ?? 0;
  const best = Math.max(brQ, gzipQ);
  // Unlisted, identity is merely acceptable (RFC 9110 §12.5.3); only a client that ranks it above
  // every coding we offer, by name or through `*`, gets the body as is.
  const identityQ = identity ?? star ?? 0;
  if (best <= 0 || best < identityQ) return undefined;
  return brQ > gzipQ ? "br" : "gzip";
}

function qValue(params: string[]): number {
  for (const param of params) {
    const [key = "", value = ""] = param.split("=");
    if (key.trim().toLowerCase() !== "q") continue;
    const q = Number(value.trim());
    return Number.isFinite(q) && q >= 0 && q <= 1 ? q : 0;
  }
  return 1;
}

/**
 * Compresses a response body on the request path. Brotli at quality 4 and gzip at level 6 both
 * stay near 0.2 ms for a 40 KB JSON list (measured on Bun 1.4), while higher brotli qualities
 * cost several times more for a few percent.
 */
export function compressSync(body: string, encoding: Encoding): Uint8Array {
  if (encoding === "gzip") return Bun.gzipSync(body, { level: 6 });
  return brotliCompressSync(body, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: 4,
      [constants.BROTLI_PARAM_SIZE_HINT]: body.length,
    },
  });
}

const brotliAsync = promisify(brotliCompress);
const gzipAsync = promisify(gzip);

/** For static assets compressed once and kept: off the event loop, and harder (quality 9). */
export async function compressOnce(body: Uint8Array, encoding: Encoding): Promise<Uint8Array> {
  if (encoding === "gzip") return gzipAsync(body, { level: 9 });
  return brotliAsync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 9 } });
}

/** True when `text` is at least `min` bytes in UTF-8, without encoding it in the common cases. */
export function byteLengthAtLeast(text: string, min: number): boolean {
  // UTF-8 needs at least one and at most three bytes per UTF-16 code unit.
  if (text.length >= min) return true;
  if (text.length * 3 < min) return false;
  return Buffer.byteLength(text) >= min;
}

/** Adds a field to a Vary header value once. */
export function appendVary(existing: string | undefined, field: string): string {
  if (!existing) return field;
  const lower = field.toLowerCase();
  if (existing.split(",").some((f) => f.trim().toLowerCase() === lower || f.trim() === "*")) return existing;
  return `${existing}, ${field}`;
}
