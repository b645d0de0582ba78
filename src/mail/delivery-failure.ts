import { TimeoutError } from "../lib/timeout";
import { InvalidMessageError } from "./transport";

export interface DeliveryFailure {
  /** No retry can succeed: a 5xx reply (RFC 5321 §4.2.1) or a message we refuse to send. */
  permanent: boolean;
  /** What is kept in last_error and shown to the email's own organization. */
  message: string;
}

const maxMessageLength = 500;

/**
 * Network failures are named by kind only: nodemailer's own text carries the relay's host and
 * address, which are ours, not the customer's. A server's SMTP reply is kept as it came.
 */
const networkFailures: Record<string, string> = {
  ECONNECTION: "could not connect to the mail server",
  ETIMEDOUT: "the mail server did not answer in time",
  ESOCKET: "the connection to the mail server failed",
  EDNS: "the mail server's name could not be resolved",
  ETLS: "the TLS handshake with the mail server failed",
  EAUTH: "the mail server refused our credentials",
  EPROTOCOL: "the mail server broke the SMTP protocol",
};

export function describeDeliveryFailure(error: unknown): DeliveryFailure {
  if (error instanceof InvalidMessageError) return { permanent: true, message: error.message };
  if (error instanceof TimeoutError) return { permanent: false, message: "sending took too long" };
  const { responseCode, response, code } = (error ?? {}) as {
    responseCode?: unknown;
    response?: unknown;
    code?: unknown;
  };
  if (typeof responseCode === "number" && typeof response === "string") {
    return { permanent: responseCode >= 500 && responseCode < 600, message: clean(response) };
  }
  const known = typeof code === "string" ? networkFailures[code] : undefined;
  return { permanent: false, message: known ? `${code}: ${known}` : "delivery failed" };
}

function clean(reply: string): string {
  return reply
    .replace(/\p{Cc}+/gu, " ")
    .trim()
    .slice(0, maxMessageLength);
}
