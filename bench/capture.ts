import type { RequestSpec } from "./load-spec";

/** One response as the API sent it: status, headers in order, body bytes as they crossed the wire. */
export interface CapturedResponse {
  status: number;
  headers: Array<[string, string]>;
  /** Base64 of the body as sent (compressed if the API compressed it). */
  body: string;
}

// Bun's server writes these itself for every response: replaying them would send them twice.
const writtenByServer = new Set(["date", "content-length", "transfer-encoding", "connection", "keep-alive"]);

/**
 * Sends one request of a scenario and keeps its response byte for byte (fetch without
 * decompression), so that a raw server can send the same bytes: the ceiling of that scenario.
 */
export async function captureResponse(base: string, request: RequestSpec, tag: string): Promise<CapturedResponse> {
  const response = await fetch(`${base}${request.path}`, {
    method: request.method,
    headers: request.headers,
    body: request.body?.replaceAll("{n}", `${tag}-capture`),
    decompress: false,
  });
  const body = Buffer.from(await response.arrayBuffer()).toString("base64");
  const headers: Array<[string, string]> = [];
  for (const [name, value] of response.headers) if (!writtenByServer.has(name)) headers.push([name, value]);
  return { status: response.status, headers, body };
}
