import { describe, expect, test } from "bun:test";
import { clientIp } from "../../src/http/client-ip";
import { accessLog } from "../../src/observability/access-log";
import { createLineWriter } from "../../src/observability/line-writer";
import { buildTestApp } from "../helpers/app";

/**
 * The client address an operator sees in the access log, for a request that arrives from the
 * proxy at 127.0.0.1 (app.handle has no socket; the app then takes the loopback address).
 */
async function loggedClient(trustProxy: string, forwardedFor: string): Promise<string> {
  const chunks: string[] = [];
  const writer = createLineWriter((chunk) => chunks.push(chunk), { intervalMs: 10_000 });
  const log = accessLog("json", writer);
  if (!log) throw new Error("no json access log");
  const { request } = buildTestApp({ env: { TRUST_PROXY: trustProxy }, deps: { observers: [log] } });
  await request("/health", { headers: { "x-forwarded-for": forwardedFor } });
  for (let i = 0; i < 100 && chunks.length === 0; i++) {
    await Bun.sleep(2);
    writer.flush();
  }
  const line = chunks.join("").split("\n").find(Boolean);
  if (!line) throw new Error("no access log line");
  return JSON.parse(line).ip;
}

const chain = "198.51.100.7, 203.0.113.9";

describe("the client address behind trusted proxies (X-Forwarded-For)", () => {
  test.each([
    ["1", chain, "203.0.113.9"],
    ["2", chain, "198.51.100.7"],
    ["3", "192.0.2.1, 198.51.100.7, 203.0.113.9", "192.0.2.1"],
    ["1", "198.51.100.7,203.0.113.9", "203.0.113.9"],
    // More hops trusted than the header names: the leftmost is as far as it can go.
    ["3", chain, "198.51.100.7"],
    ["0", chain, "127.0.0.1"],
  ])("TRUST_PROXY=%s with %s from the proxy: the client is %s", async (trust, forwarded, client) => {
    expect(await loggedClient(trust, forwarded)).toBe(client);
  });

  test.each([
    // The proxy (127.0.0.1) is trusted; the rightmost untrusted hop is the client.
    ["127.0.0.0/8", chain, "203.0.113.9"],
    ["127.0.0.1, 203.0.113.0/24", chain, "198.51.100.7"],
    ["127.0.0.1/32,203.0.113.9,198.51.100.0/24", "192.0.2.1, 198.51.100.7, 203.0.113.9", "192.0.2.1"],
    // Every hop trusted: the leftmost is the client.
    ["127.0.0.1, 203.0.113.0/24, 198.51.100.0/24", chain, "198.51.100.7"],
    // A socket outside the list is not a proxy: its own address is the client, whatever it says.
    ["10.0.0.0/8", chain, "127.0.0.1"],
    ["::1", chain, "127.0.0.1"],
  ])("TRUST_PROXY=%s (addresses) with %s: the client is %s", async (trust, forwarded, client) => {
    expect(await loggedClient(trust, forwarded)).toBe(client);
  });
});

describe("reading the socket's address (a getpeername(2) per call in Bun)", () => {
  const counted = () => {
    const socket = { reads: 0 };
    const read = () => {
      socket.reads++;
      return "10.0.0.5";
    };
    return { socket, read };
  };

  test("behind N trusted proxies that sent X-Forwarded-For, the client comes from the header alone", () => {
    const { socket, read } = counted();
    expect(clientIp(read, "198.51.100.7, 203.0.113.9", 1)).toBe("203.0.113.9");
    expect(clientIp(read, "198.51.100.7", 3)).toBe("198.51.100.7");
    expect(socket.reads).toBe(0);
  });

  test("without the header, with untrusted hops or CIDR trust, the socket's address is read once", () => {
    for (const [forwardedFor, trust, expected] of [
      [null, 1, "10.0.0.5"],
      ["198.51.100.7", 0, "10.0.0.5"],
      [" , ", 2, "10.0.0.5"],
      ["198.51.100.7", ["10.0.0.0/8"], "198.51.100.7"],
      ["198.51.100.7", ["192.0.2.0/24"], "10.0.0.5"],
    ] as const) {
      const { socket, read } = counted();
      expect(clientIp(read, forwardedFor, trust as never)).toBe(expected);
      expect(socket.reads).toBe(1);
    }
  });
});
