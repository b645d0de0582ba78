import type { Logger } from "../../observability/logger";
import type { RedisConnection } from "../../redis/client";

export type RevocationEvent =
  | { kind: "sessions"; ids: string[] }
  | { kind: "user"; id: string }
  | { kind: "apiKey"; id: string }
  /** Local only: this instance may have missed events (its subscription was down): forget everything. */
  | { kind: "all" };

export type RevocationBus = ReturnType<typeof createRevocationBus>;

const channel = "revenue-api:revocations";

/**
 * Tells every instance to forget a revoked session, user or key. Handlers run locally at once;
 * with Redis, other instances hear it through pub/sub within milliseconds.
 */
export function createRevocationBus(options: {
  publisher?: RedisConnection;
  subscriber?: RedisConnection;
  logger: Logger;
}) {
  const origin = crypto.randomUUID();
  const handlers: Array<(event: RevocationEvent) => void> = [];
  const dispatch = (event: RevocationEvent) => {
    for (const handle of handlers) handle(event);
  };

  const { subscriber, publisher, logger } = options;
  if (subscriber) {
    subscriber
      .subscribe(channel)
      .catch((error) => logger.warn("revocation subscribe failed", { error: String(error) }));
    // Pub/sub keeps nothing for a subscriber that is away: what was published while this one was
    // disconnected is lost. So at every (re)connection, once the subscription is back (SUBSCRIBE
    // answered, after ioredis's own resubscription), everything cached is forgotten and re-read.
    // A Cluster moves its subscription to another node without a "ready": there the authenticator's
    // 60 s re-read bounds the gap.
    subscriber.on("ready", () => {
      subscriber.subscribe(channel).then(
        () => dispatch({ kind: "all" }),
        (error) => logger.warn("revocation subscribe failed", { error: String(error) }),
      );
    });
    subscriber.on("message", (from: string, message: string) => {
      if (from !== channel) return;
      try {
        const parsed = JSON.parse(message) as { origin: string; event: RevocationEvent };
        if (parsed.origin !== origin) dispatch(parsed.event);
      } catch {
        logger.warn("ignored a malformed revocation message");
      }
    });
  }

  return {
    onEvent(handler: (event: RevocationEvent) => void): void {
      handlers.push(handler);
    },
    async publish(event: RevocationEvent): Promise<void> {
      dispatch(event);
      if (!publisher) return;
      try {
        await publisher.publish(channel, JSON.stringify({ origin, event }));
      } catch (error) {
        // Other instances fall back to their cache bounds (token expiry, the API-key re-read interval).
        logger.warn("revocation publish failed", { error: String(error), kind: event.kind });
      }
    },
  };
}
