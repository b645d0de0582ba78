import { httpError } from "./errors";

const maxDepth = 32;

/**
 * Reads a JSON body with a byte limit that holds even without Content-Length (chunked uploads),
 * so an oversized body is refused without being buffered whole.
 */
export async function readJsonBody(request: Request, limit: number): Promise<unknown> {
  const text = await readText(request, limit);
  if (text.length === 0) return undefined;
  if (nestingDepth(text) > maxDepth) {
    throw httpError(400, `JSON body is nested deeper than ${maxDepth} levels`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw httpError(400, "Malformed JSON body");
  }
}

async function readText(request: Request, limit: number): Promise<string> {
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  const decoder = new TextDecoder("utf-8", { fatal: true });
  try {
    return decoder.decode(Buffer.concat(chunks));
  } catch {
    throw httpError(400, "Request body is not valid UTF-8");
  }
}

export function tooLarge(limit: number) {
  // Without Connection: close, Bun reads and discards the rest of the body to keep the connection.
  return httpError(413, `Request body exceeds the limit of ${limit} bytes`, { headers: { connection: "close" } });
}

/** Bracket depth outside strings; a cheap pre-check so hostile nesting never reaches JSON.parse. */
function nestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++;
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (++depth > deepest) deepest = depth;
    } else if (c === 125 || c === 93) depth--;
  }
  return deepest;
}
