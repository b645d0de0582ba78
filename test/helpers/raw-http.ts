import { connect } from "node:net";
import { connect as connectTls } from "node:tls";

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * One request written byte for byte to a socket, so a test controls what `fetch` would normalise
 * (the Host header, repeated headers, the request target). `head` is the request line and headers
 * without the final blank line; `Connection: close` is added so the response ends with the socket.
 */
export function rawRequest(
  port: number,
  head: string,
  body = "",
  options: { timeoutMs?: number; tls?: boolean } = {},
): Promise<RawResponse> {
  const timeoutMs = options.timeoutMs ?? 5000;
  return new Promise((resolve, reject) => {
    // TLS with any certificate: the tests' own throwaway ones.
    const socket = options.tls
      ? connectTls({ port, host: "127.0.0.1", rejectUnauthorized: false })
      : connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no response within ${timeoutMs} ms to ${head.split("\r\n")[0]}`));
    }, timeoutMs);
    socket.on("data", (data: Buffer) => chunks.push(data));
    socket.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(parseResponse(Buffer.concat(chunks).toString("latin1")));
    });
    socket.write(`${head}\r\nConnection: close\r\n\r\n${body}`);
  });
}

/** `text` is latin1, one char a byte, so chunk sizes count what they say. */
function parseResponse(text: string): RawResponse {
  const split = text.indexOf("\r\n\r\n");
  const [statusLine = "", ...lines] = text.slice(0, split === -1 ? text.length : split).split("\r\n");
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = split === -1 ? "" : text.slice(split + 4);
  if (headers["transfer-encoding"] === "chunked") body = unchunk(body);
  body = Buffer.from(body, "latin1").toString("utf8");
  return { status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0), headers, body };
}

function unchunk(body: string): string {
  let out = "";
  let rest = body;
  for (;;) {
    const lineEnd = rest.indexOf("\r\n");
    const size = Number.parseInt(rest.slice(0, lineEnd), 16);
    if (!(size > 0)) return out;
    out += rest.slice(lineEnd + 2, lineEnd + 2 + size);
    rest = rest.slice(lineEnd + 2 + size + 2);
  }
}
