import type { Mailer } from "./transport";

/** A verified transport stays "healthy" this long without a new SMTP connection per probe. */
const verifiedForMs = 30_000;

/**
 * Readiness of `smtp`: connects, greets and authenticates (nodemailer's verify) without sending.
 * A success is remembered for 30 s so probes every few seconds do not each open a connection to
 * the relay; a failure is checked again on the next probe. The health module bounds the wait.
 */
export function smtpReadiness(mailer: Mailer): () => Promise<void> {
  let verifiedAt = Number.NEGATIVE_INFINITY;
  let running: Promise<void> | undefined;
  return async () => {
    // The breaker's own probe verifies while it is open: no second connection for readiness.
    if (mailer.breaker && mailer.breaker.state() !== "closed") throw new Error("smtp circuit open");
    if (Date.now() - verifiedAt < verifiedForMs) return;
    running ??= mailer.verify().finally(() => {
      running = undefined;
    });
    await running;
    verifiedAt = Date.now();
  };
}
