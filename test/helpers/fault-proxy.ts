import { createConnection, createServer, type Server, type Socket } from "node:net";

/**
 * What the link between the app and a dependency does:
 * - `healthy`: forwards bytes both ways.
 * - `refuse`: nothing listens on the port; live connections are destroyed. Fails fast in every client.
 * - `accept-then-close`: connections are accepted and closed at once, as PgBouncer, Supavisor or a
 *   cloud load balancer do when the server behind them is gone; live connections are destroyed.
 * - `blackhole`: a partition. Connections are accepted, live ones stay open, and no byte goes
 *   either way; the held bytes are delivered, in order, when the link heals.
 * - `slow`: every chunk, each way, is delivered `delayMs` after the one before it was.
 */
export type FaultMode = "healthy" | "refuse" | "accept-then-close" | "blackhole" | "slow";

export interface FaultProxy {
  /** The local port that forwards to the target. */
  readonly port: number;
  readonly mode: FaultMode;
  /** Connections accepted since the proxy started: how often a client (re)connects. */
  readonly accepted: number;
  refuse(): void;
  acceptThenClose(): void;
  blackhole(): void;
  slow(delayMs: number): void;
  /** Forwards again, on the same port; bytes held by a blackhole or a slow link go through at once. */
  heal(): void;
  close(): Promise<void>;
}

/** One direction of a connection: bytes read from `from`, queued, written to `to` as the mode allows. */
interface Lane {
  pump(): void;
  stop(): void;
}

/** A loopback TCP proxy in front of Postgres or Redis whose link a test breaks in the ways production does. */
export async function startFaultProxy(targetHost: string, targetPort: number): Promise<FaultProxy> {
  let mode: FaultMode = "healthy";
  let delayMs = 0;
  let accepted = 0;
  const pairs = new Set<() => void>();
  const lanes = new Set<Lane>();

  const lane = (from: Socket, to: Socket): Lane => {
    const queue: Buffer[] = [];
    let timer: ReturnType<typeof setTimeout> | undefined;
    const write = (chunk: Buffer) => {
      // Backpressure: a slow reader on one side must not grow this proxy's memory without bound.
      if (!to.write(chunk)) {
        from.pause();
        to.once("drain", () => from.resume());
      }
    };
    const self: Lane = {
      pump() {
        if (timer) return;
        while (queue.length > 0 && mode !== "blackhole") {
          if (mode === "slow") {
            timer = setTimeout(() => {
              timer = undefined;
              const chunk = queue.shift();
              if (chunk) write(chunk);
              self.pump();
            }, delayMs);
            return;
          }
          write(queue.shift() as Buffer);
        }
      },
      stop() {
        clearTimeout(timer);
        timer = undefined;
      },
    };
    from.on("data", (chunk: Buffer) => {
      queue.push(chunk);
      self.pump();
    });
    return self;
  };

  const forward = (client: Socket) => {
    accepted++;
    if (mode === "accept-then-close") {
      client.destroy();
      return;
    }
    const upstream = createConnection({ host: targetHost, port: targetPort });
    const both = [lane(client, upstream), lane(upstream, client)];
    for (const l of both) lanes.add(l);
    const end = () => {
      for (const l of both) {
        l.stop();
        lanes.delete(l);
      }
      client.destroy();
      upstream.destroy();
      pairs.delete(end);
    };
    pairs.add(end);
    // Either side failing ends the pair: a half-open proxy would hide the failure under test.
    for (const socket of [client, upstream]) socket.on("error", end).on("close", end);
  };

  const destroyLive = () => {
    for (const end of [...pairs]) end();
  };

  let server: Server = createServer(forward);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("proxy has no TCP port");
  const port = address.port;

  const listen = () => {
    if (server.listening) return;
    server = createServer(forward);
    // Binding is synchronous here, so a client may connect as soon as this returns.
    server.listen(port, "127.0.0.1");
  };
  const switchTo = (next: FaultMode) => {
    mode = next;
    if (next === "refuse") server.close();
    else listen();
    if (next === "refuse" || next === "accept-then-close") destroyLive();
    for (const l of lanes) {
      // Healing delivers what a slow link still holds at once rather than a chunk at a time.
      if (next === "healthy") l.stop();
      l.pump();
    }
  };

  return {
    port,
    get mode() {
      return mode;
    },
    get accepted() {
      return accepted;
    },
    refuse: () => switchTo("refuse"),
    acceptThenClose: () => switchTo("accept-then-close"),
    blackhole: () => switchTo("blackhole"),
    slow(ms) {
      delayMs = ms;
      switchTo("slow");
    },
    heal: () => switchTo("healthy"),
    close() {
      destroyLive();
      return new Promise((resolve) => {
        if (!server.listening) return resolve();
        server.close(() => resolve());
      });
    },
  };
}
