import { afterAll, describe, expect, test } from "bun:test";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startCeiling } from "../../bench/baseline";
import { captureResponse } from "../../bench/capture";

// What the API does to a response that matters to the replay: compressed bytes, a status that is
// not 200, several headers in a given order.
const origin = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch: () =>
    new Response(Bun.gzipSync(JSON.stringify({ success: true, data: { n: 1 } })), {
      status: 201,
      headers: {
        "content-type": "application/json",
        "content-encoding": "gzip",
        "x-request-id": "req_1",
        vary: "Accept-Encoding",
      },
    }),
});
afterAll(() => origin.stop(true));

describe("the same-bytes ceiling", () => {
  test("replays the captured status, headers and body byte for byte, still compressed", async () => {
    const request = { method: "GET" as const, path: "/api/v1/me", headers: { "accept-encoding": "gzip" } };
    const capture = await captureResponse(`http://127.0.0.1:${origin.port}`, request, "t");
    expect(capture.status).toBe(201);
    expect(capture.headers.map(([name]) => name)).not.toContain("content-length");

    const replay = await startCeiling(undefined, capture, join(tmpdir(), "revenue-ceiling-test"));
    try {
      const get = (port: string | number | undefined) =>
        fetch(`http://127.0.0.1:${port}/anything`, { headers: request.headers, decompress: false });
      const sent = await get(origin.port);
      const replayed = await get(new URL(replay.base).port);
      expect(replayed.status).toBe(201);
      const headers = (r: Response) => [...r.headers].filter(([name]) => name !== "date");
      expect(headers(replayed)).toEqual(headers(sent));
      expect(Buffer.from(await replayed.arrayBuffer())).toEqual(Buffer.from(await sent.arrayBuffer()));
    } finally {
      await replay.stop();
    }
  });
});
