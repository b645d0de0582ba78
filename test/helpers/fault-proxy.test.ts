import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connect, createServer, type Server, type Socket } from "node:net";
import { type FaultProxy, startFaultProxy } from "./fault-proxy";

/** What a client of the proxy saw: the bytes it read and how the connection ended. */
interface Seen {
  socket: Socket;
  data: () => string;
  ended: Promise<"closed" | "refused" | "reset">;
}

function dial(port: number): Seen {
  let data = "";
  const socket = connect({ host: "127.0.0.1", port });
  socket.on("data", (chunk) => {
    data += chunk.toString();
  });
  const ended = new Promise<"closed" | "refused" | "reset">((resolve) => {
    socket.on("error", (error: NodeJS.ErrnoException) => resolve(error.code === "ECONNREFUSED" ? "refused" : "reset"));
    socket.on("close", () => resolve("closed"));
  });
  return { socket, data: () => data, ended };
}

async function until(check: () => boolean, ms = 2000): Promise<boolean> {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    if (check()) return true;
    await Bun.sleep(5);
  }
  return check();
}

describe("fault proxy in front of an echo server", () => {
  let echo: Server;
  let proxy: FaultProxy;

  beforeAll(async () => {
    echo = createServer((socket) => socket.pipe(socket));
    await new Promise<void>((resolve) => echo.listen(0, "127.0.0.1", resolve));
    const address = echo.address();
    if (address === null || typeof address === "string") throw new Error("no port");
    proxy = await startFaultProxy("127.0.0.1", address.port);
  });
  afterAll(async () => {
    await proxy.close();
    await new Promise((resolve) => echo.close(resolve));
  });

  test("forwards both ways while healthy", async () => {
    const client = dial(proxy.port);
    client.socket.write("ping");
    expect(await until(() => client.data() === "ping")).toBe(true);
    client.socket.destroy();
  });

  test("refuse: ends live connections and refuses new ones until healed", async () => {
    const live = dial(proxy.port);
    live.socket.write("a");
    await until(() => live.data() === "a");
    proxy.refuse();
    expect(await live.ended).toBe("closed");
    expect(await dial(proxy.port).ended).toBe("refused");
    proxy.heal();
    const again = dial(proxy.port);
    again.socket.write("b");
    expect(await until(() => again.data() === "b")).toBe(true);
    again.socket.destroy();
  });

  test("accept-then-close: accepts each connection and closes it without a byte, and counts them", async () => {
    proxy.acceptThenClose();
    const before = proxy.accepted;
    for (let i = 0; i < 3; i++) {
      const client = dial(proxy.port);
      client.socket.write("x");
      expect(await client.ended).toBe("closed");
      expect(client.data()).toBe("");
    }
    expect(proxy.accepted - before).toBe(3);
    proxy.heal();
  });

  test("blackhole: holds bytes of live and new connections, and delivers them in order when healed", async () => {
    const live = dial(proxy.port);
    live.socket.write("1");
    await until(() => live.data() === "1");
    proxy.blackhole();
    live.socket.write("2");
    const fresh = dial(proxy.port);
    fresh.socket.write("new");
    await Bun.sleep(150);
    expect(live.data()).toBe("1");
    expect(fresh.data()).toBe("");
    expect(fresh.socket.destroyed).toBe(false);
    live.socket.write("3");
    proxy.heal();
    expect(await until(() => live.data() === "123" && fresh.data() === "new")).toBe(true);
    live.socket.destroy();
    fresh.socket.destroy();
  });

  test("slow: delivers each chunk a delay after the one before it", async () => {
    const client = dial(proxy.port);
    client.socket.write("a");
    await until(() => client.data() === "a");
    proxy.slow(100);
    const started = performance.now();
    client.socket.write("b");
    // Through the proxy and back: one delay each way.
    expect(await until(() => client.data() === "ab")).toBe(true);
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
    proxy.heal();
    client.socket.destroy();
  });
});
