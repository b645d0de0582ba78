import { createConnection, createServer, type Server, type Socket } from "node:net";

export interface TcpProxy {
  /** The local port that forwards to the target. */
  port: number;
  /** Destroys live connections and refuses new ones, like a database or Redis going away. */
  cut(): void;
  /** Accepts and forwards connections again, on the same port. */
  restore(): void;
  close(): Promise<void>;
}

/**
 * A loopback TCP proxy for failure tests: a client pointed at `port` reaches the target until
 * `cut()`. While cut the port refuses connections: a refused connection fails at once, whereas
 * Bun's Postgres client reports a connection that is accepted and then closed only after its
 * connection timeout.
 */
export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  const live = new Set<Socket>();

  const forward = (client: Socket) => {
    const upstream = createConnection({ host: targetHost, port: targetPort });
    for (const socket of [client, upstream]) {
      live.add(socket);
      // Either side failing ends the pair: a half-open proxy would hide the failure under test.
      socket.on("error", () => end());
      socket.on("close", () => end());
    }
    const end = () => {
      for (const socket of [client, upstream]) {
        socket.destroy();
        live.delete(socket);
      }
    };
    client.pipe(upstream);
    upstream.pipe(client);
  };

  const destroyLive = () => {
    for (const socket of live) socket.destroy();
    live.clear();
  };

  let server: Server = createServer(forward);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("proxy has no TCP port");
  const port = address.port;

  return {
    port,
    cut() {
      server.close();
      destroyLive();
    },
    restore() {
      if (server.listening) return;
      server = createServer(forward);
      // Binding is synchronous here, so a client may connect as soon as restore() returns.
      server.listen(port, "127.0.0.1");
    },
    close() {
      destroyLive();
      return new Promise((resolve) => {
        if (!server.listening) return resolve();
        server.close(() => resolve());
      });
    },
  };
}
