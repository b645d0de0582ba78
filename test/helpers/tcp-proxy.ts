import { createConnection, createServer, type Socket } from "node:net";

export interface TcpProxy {
  /** The local port that forwards to the target. */
  port: number;
  /** Destroys live connections and drops new ones at once, like a network partition. */
  cut(): void;
  /** Forwards new connections again. */
  restore(): void;
  close(): Promise<void>;
}

/**
 * A loopback TCP proxy for failure tests: a client pointed at `port` reaches the target until
 * `cut()`. While cut the listener stays open and destroys every accepted socket, so the port
 * cannot be taken by anyone else and the client sees its connections die rather than hang.
 */
export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  const live = new Set<Socket>();
  let isCut = false;

  const track = (socket: Socket) => {
    live.add(socket);
    socket.once("close", () => live.delete(socket));
  };

  const server = createServer((client) => {
    track(client);
    if (isCut) {
      client.destroy();
      return;
    }
    const upstream = createConnection({ host: targetHost, port: targetPort });
    track(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    // Either side failing ends the pair: a half-open proxy would hide the failure under test.
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("proxy has no TCP port");

  return {
    port: address.port,
    cut() {
      isCut = true;
      for (const socket of live) socket.destroy();
    },
    restore() {
      isCut = false;
    },
    close() {
      isCut = true;
      for (const socket of live) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
