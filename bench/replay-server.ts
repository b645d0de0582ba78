/**
 * A scenario's ceiling: raw Bun.serve answering every request with one captured response of the
 * API (bench/capture.ts), its status, headers and body byte for byte, and doing nothing else.
 * `PORT=… bun bench/replay-server.ts <capture.json>`.
 */
import { readFileSync } from "node:fs";
import type { CapturedResponse } from "./capture";

const capture = JSON.parse(readFileSync(process.argv[2] ?? "", "utf8")) as CapturedResponse;
const body = Buffer.from(capture.body, "base64");
const init = { status: capture.status, headers: capture.headers };

const server = Bun.serve({
  hostname: "127.0.0.1",
  port: Number(process.env.PORT ?? 0),
  fetch: () => new Response(body, init),
});

process.stdout.write(`listening ${server.port}\n`);
process.on("SIGTERM", () => {
  server.stop(true);
  process.exit(0);
});
