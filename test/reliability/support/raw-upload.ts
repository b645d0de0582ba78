import { connect } from "node:net";

export interface UploadResult {
  /** Status line of the response, if one arrived. */
  status?: number;
  /** Body bytes the client had handed to the socket when the response started to arrive. */
  bytesSentBeforeResponse?: number;
  /** Body bytes handed to the socket in all, until the server closed it or the body was done. */
  bytesSent: number;
  /** ms from the first byte until the response arrived. */
  responseMs?: number;
  /** ms until the server closed the connection (undefined if it was still open at the end). */
  closedMs?: number;
  response: string;
}

export interface UploadOptions {
  port: number;
  path: string;
  headers: Record<string, string>;
  /** Body bytes to offer in all. */
  size: number;
  /** Bytes a write; with `everyMs`, a trickle. */
  chunk: number;
  everyMs?: number;
  /** Give up (and report) after this long. */
  limitMs: number;
  /** Transfer-Encoding: chunked, with no Content-Length: the server learns the size only by reading. */
  chunked?: boolean;
}

/**
 * A POST over a raw socket that keeps writing its body until the server answers or closes, so a
 * test can see how much of a body the server accepted before refusing it.
 */
export function rawUpload(options: UploadOptions): Promise<UploadResult> {
  return new Promise((resolve) => {
    const started = performance.now();
    const since = () => performance.now() - started;
    const socket = connect(options.port, "127.0.0.1");
    const result: UploadResult = { bytesSent: 0, response: "" };
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(giveUp);
      socket.destroy();
      resolve(result);
    };
    const giveUp = setTimeout(finish, options.limitMs);
    const payload = Buffer.alloc(options.chunk, "a");

    socket.on("data", (data) => {
      if (result.responseMs === undefined) {
        result.responseMs = since();
        result.bytesSentBeforeResponse = result.bytesSent;
        result.status = Number(/^HTTP\/1\.1 (\d{3})/.exec(data.toString("latin1"))?.[1]);
      }
      result.response += data.toString("utf8");
    });
    socket.on("close", () => {
      result.closedMs = since();
      finish();
    });
    socket.on("error", () => {});

    const head = Object.entries(options.headers)
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join("");
    const length = options.chunked ? "transfer-encoding: chunked\r\n" : `content-length: ${options.size}\r\n`;
    socket.write(`POST ${options.path} HTTP/1.1\r\nhost: 127.0.0.1\r\n${length}${head}\r\n`);
    const pump = async () => {
      while (!finished && !socket.destroyed && result.bytesSent < options.size && result.responseMs === undefined) {
        const piece = payload.subarray(0, Math.min(options.chunk, options.size - result.bytesSent));
        result.bytesSent += piece.length;
        const flushed = socket.write(options.chunked ? frame(piece) : piece);
        if (options.everyMs) await Bun.sleep(options.everyMs);
        else if (!flushed) await new Promise((r) => socket.once("drain", r));
      }
    };
    void pump().then(() => {
      if (options.chunked && !socket.destroyed && result.responseMs === undefined) socket.write("0\r\n\r\n");
    });
  });
}

function frame(piece: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from("\r\n")]);
}
