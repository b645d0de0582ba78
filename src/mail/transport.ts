import nodemailer from "nodemailer";
import { type Config, ConfigError } from "../config";
import type { CircuitBreaker } from "../lib/circuit-breaker";
import { childTraceparent } from "../lib/trace-context";
import type { Logger } from "../observability/logger";
import { addressOf, domainOf, isDeliverableAddress, isSingleLine } from "./address";

export interface OutgoingEmail {
  /** The outbox row's id; it becomes the Message-ID, so a retried message keeps its identity. */
  id: string;
  to: string;
  subject: string;
  text: string;
  html: string | null;
  /** W3C trace id of the request that queued it: the message carries a `traceparent` header. */
  traceId?: string | null;
}

export interface Mailer {
  /** "smtp" delivers; "log" prints the message instead (development without SMTP_URL). */
  kind: "smtp" | "log";
  send(email: OutgoingEmail): Promise<{ messageId: string }>;
  /** Connects and greets (and authenticates) without sending: the readiness check. */
  verify(): Promise<void>;
  /** SMTP: opens after repeated connection failures; sends then fail at once and the worker waits. */
  breaker?: CircuitBreaker;
  close(): void;
}

/** A message that no retry can fix: refused before any connection is made. */
export class InvalidMessageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InvalidMessageError";
  }
}

/**
 * The transport SMTP_URL asks for. Without one, development prints messages to the log
 * (nodemailer's jsonTransport) and other environments get none: emails then stay queued.
 */
export function createMailer(
  config: Pick<Config, "smtp" | "env">,
  logger: Logger,
  breaker?: (verify: () => Promise<void>) => CircuitBreaker,
): Mailer | undefined {
  if (config.smtp.url) return createSmtpMailer({ url: config.smtp.url, from: config.smtp.from, breaker });
  if (config.env === "development") return createLogMailer({ from: config.smtp.from, logger });
  return undefined;
}

export interface SmtpMailerOptions {
  url: string;
  from: string;
  /** Builds the breaker around sends, given the probe that closes it (a verify). */
  breaker?: (verify: () => Promise<void>) => CircuitBreaker;
}

/** The relay is not there (no SMTP reply at all), or said so (421): what counts against the breaker. */
export function isRelayUnavailable(error: unknown): boolean {
  const { responseCode } = (error ?? {}) as { responseCode?: unknown };
  if (error instanceof InvalidMessageError) return false;
  return typeof responseCode !== "number" || responseCode === 421;
}

export function createSmtpMailer(options: SmtpMailerOptions): Mailer {
  const from = checkedFrom(options.from);
  const transporter = nodemailer.createTransport({
    url: options.url,
    // Reused connections: a new SMTP session costs a handshake (and TLS) per message.
    pool: true,
    maxConnections: 5,
    // nodemailer waits 10 minutes on a silent socket by default; the worker's lock must outlast a send.
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 60_000,
    // Message content never reads local files or fetches URLs.
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  const verify = async () => {
    await transporter.verify();
  };
  const breaker = options.breaker?.(verify);
  const sendMail = async (email: OutgoingEmail) => {
    const info = await transporter.sendMail(message(email, from));
    return { messageId: String(info.messageId ?? "") };
  };
  return {
    kind: "smtp",
    send: breaker ? (email) => breaker.run(() => sendMail(email), isRelayUnavailable) : sendMail,
    verify,
    breaker,
    close() {
      breaker?.close();
      transporter.close();
    },
  };
}

/** Development: the message goes to the log, not to anyone's inbox. */
export function createLogMailer(options: { from: string; logger: Logger }): Mailer {
  const from = checkedFrom(options.from);
  const transporter = nodemailer.createTransport({ jsonTransport: true });
  return {
    kind: "log",
    async send(email) {
      const info = await transporter.sendMail(message(email, from));
      options.logger.info("email printed, not sent (SMTP_URL is not set)", {
        messageId: info.messageId,
        from,
        to: email.to,
        subject: email.subject,
        text: email.text,
      });
      return { messageId: String(info.messageId ?? "") };
    },
    async verify() {},
    close() {},
  };
}

function message(email: OutgoingEmail, from: string) {
  if (!isDeliverableAddress(email.to)) throw new InvalidMessageError("the recipient address is not deliverable");
  if (!isSingleLine(email.subject)) throw new InvalidMessageError("the subject is not a single line");
  return {
    from,
    to: email.to,
    subject: email.subject,
    text: email.text,
    html: email.html ?? undefined,
    messageId: `<${email.id}@${domainOf(from)}>`,
    headers: email.traceId ? { traceparent: childTraceparent({ traceId: email.traceId, flags: "01" }) } : undefined,
  };
}

/** EMAIL_FROM is checked once, when the transport is built at start-up. */
function checkedFrom(from: string): string {
  if (!isSingleLine(from) || !isDeliverableAddress(addressOf(from))) {
    throw new ConfigError("EMAIL_FROM", 'must be an address like "Name <no-reply@example.com>" on one line');
  }
  return from;
}
