import { connect, createServer, type Socket } from "node:net";

export interface StallProxy {
  port: number;
  /** Holds every reply back while connections stay open: a Redis that hangs rather than dies. */
  stall(): void;
  /** Lets the held replies and new ones through again. */
  resume(): void;
  close(): Promise<void>;
}

/** A loopback proxy whose replies can be held back; the cut-the-wire case is test/helpers/tcp-proxy.ts. */
export async function startStallProxy(targetHost: string, targetPort: number): Promise<StallProxy> {
  const pairs = new Map<Socket, Socket>();
  const sockets = new Set<Socket>();
  let stalled = false;
  const server = createServer((client) => {
    const upstream = connect({ host: targetHost, port: targetPort });
    pairs.set(upstream, client);
    sockets.add(client).add(upstream);
    client.pipe(upstream);
    if (!stalled) upstream.pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
      pairs.delete(upstream);
    };
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("proxy has no TCP port");
  return {
    port: address.port,
    stall() {
      stalled = true;
      for (const [upstream, client] of pairs) {
        upstream.unpipe(client);
        upstream.pause();
      }
    },
    resume() {
      stalled = false;
      for (const [upstream, client] of pairs) upstream.pipe(client);
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
