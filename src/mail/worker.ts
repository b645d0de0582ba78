import type { Database } from "../db/database";
import { withTimeout } from "../lib/timeout";
import type { Logger } from "../observability/logger";
import { describeDeliveryFailure } from "./delivery-failure";
import { type ClaimedEmail, createOutboxRepository } from "./outbox-repository";
import type { Mailer } from "./transport";

export interface EmailWorkerOptions {
  db: Database;
  mailer: Mailer;
  logger: Logger;
  /** How often to look for due emails when the queue is empty; default 1 s. */
  pollIntervalMs?: number;
  /** Emails claimed and sent at once; default 10. */
  batchSize?: number;
  /** Attempts before an email is failed; default 5. */
  maxAttempts?: number;
  /** Wait after the first failure, doubled after each further one; default 30 s. */
  retryBaseMs?: number;
  /** How long a claim lasts; must outlast sendTimeoutMs. Default 5 min. */
  lockMs?: number;
  /** One send's ceiling; default 2 min. */
  sendTimeoutMs?: number;
}

export interface EmailWorker {
  start(): void;
  /** Stops polling and waits for the sends under way. */
  stop(): Promise<void>;
  /** One pass: requeue abandoned rows, claim a batch, send it. Resolves with the number claimed. */
  runOnce(): Promise<number>;
}

/**
 * Delivers the outbox. Any number of workers, in any number of processes, may run on the same
 * database: rows are claimed atomically, so each send happens in exactly one of them.
 */
export function createEmailWorker(options: EmailWorkerOptions): EmailWorker {
  const { mailer, logger } = options;
  const outbox = createOutboxRepository(options.db);
  const pollIntervalMs = options.pollIntervalMs ?? 1000;
  const batchSize = options.batchSize ?? 10;
  const maxAttempts = options.maxAttempts ?? 5;
  const retryBaseMs = options.retryBaseMs ?? 30_000;
  const lockMs = options.lockMs ?? 5 * 60_000;
  const sendTimeoutMs = options.sendTimeoutMs ?? 2 * 60_000;

  let stopped = true;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let pass: Promise<void> | undefined;

  const recordFailure = async (email: ClaimedEmail, error: unknown) => {
    const failure = describeDeliveryFailure(error);
    const now = new Date();
    const fields = { emailId: email.id, attempts: email.attempts, error: failure.message };
    if (failure.permanent || email.attempts >= maxAttempts) {
      logger.warn("email failed", fields);
      await outbox.markFailed(email, failure.message, now);
      return;
    }
    const delay = retryBaseMs * 2 ** (email.attempts - 1);
    logger.warn("email delivery will be retried", { ...fields, delayMs: delay });
    await outbox.retryLater(email, failure.message, new Date(now.getTime() + delay), now);
  };

  const deliver = async (email: ClaimedEmail) => {
    let messageId: string;
    try {
      ({ messageId } = await withTimeout(mailer.send(email), sendTimeoutMs));
    } catch (error) {
      return recordFailure(email, error);
    }
    // Outside the try: a failure to record a sent email must not count as a failed send and retry it.
    await outbox.markSent(email, messageId, new Date());
  };

  const runOnce = async () => {
    // While the relay is known to be down, claiming would only spend the emails' attempts.
    if (mailer.breaker && mailer.breaker.state() !== "closed") return 0;
    await outbox.releaseExpired(new Date(), maxAttempts);
    const batch = await outbox.claim(batchSize, new Date(), lockMs);
    const results = await Promise.allSettled(batch.map(deliver));
    for (const result of results) {
      // The send happened (or failed) but its outcome was not recorded: the lock's expiry retries it.
      if (result.status === "rejected") {
        logger.error("could not record an email's delivery", { error: String(result.reason) });
      }
    }
    return batch.length;
  };

  const loop = async () => {
    timer = undefined;
    pass = (async () => {
      try {
        // A full batch means more may be due: keep going without waiting for the next poll.
        while (!stopped && (await runOnce()) === batchSize) {}
      } catch (error) {
        logger.warn("email worker pass failed; retrying at the next poll", { error: String(error) });
      }
    })();
    await pass;
    pass = undefined;
    if (stopped) return;
    timer = setTimeout(loop, pollIntervalMs);
    // The worker never keeps a process alive on its own: the server (or a test) decides that.
    timer.unref?.();
  };

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      void loop();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      timer = undefined;
      await pass;
    },
    runOnce,
  };
}
