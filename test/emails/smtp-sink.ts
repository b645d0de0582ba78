import { SMTPServer, type SMTPServerError } from "smtp-server";
import { type ParsedMessage, parseMessage } from "./mime";

export interface ReceivedMessage extends ParsedMessage {
  /** SMTP envelope: MAIL FROM and RCPT TO. */
  envelopeFrom: string;
  envelopeTo: string[];
}

/** What the server answers to RCPT TO: accept, or an SMTP error code and text. */
export type RcptReply = { code: number; message: string } | undefined;

export interface SmtpSink {
  port: number;
  /** SMTP_URL for this server. */
  url: string;
  received: ReceivedMessage[];
  /** Every RCPT TO the server saw, accepted or not: one per delivery attempt here. */
  recipientsTried: string[];
  /** Changes the RCPT TO reply from now on. */
  replyWith(reply: () => RcptReply): void;
  /** Holds every message's DATA this long before accepting it. */
  delayData(ms: number): void;
  close(): Promise<void>;
}

/** A real SMTP server on a free loopback port (plain text, no auth), recording what it receives. */
export async function startSmtpSink(): Promise<SmtpSink> {
  const received: ReceivedMessage[] = [];
  const recipientsTried: string[] = [];
  let reply: () => RcptReply = () => undefined;
  let dataDelayMs = 0;

  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    // Loopback only: a reverse DNS lookup per connection would only slow the tests down.
    disableReverseLookup: true,
    onRcptTo(address, _session, callback) {
      recipientsTried.push(address.address);
      const answer = reply();
      if (!answer) return callback();
      const error: SMTPServerError = new Error(answer.message);
      error.responseCode = answer.code;
      callback(error);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        const envelope = session.envelope;
        const finish = () => {
          received.push({
            ...parseMessage(Buffer.concat(chunks).toString("utf8")),
            envelopeFrom: envelope.mailFrom ? envelope.mailFrom.address : "",
            envelopeTo: envelope.rcptTo.map((r) => r.address),
          });
          callback();
        };
        if (dataDelayMs > 0) setTimeout(finish, dataDelayMs);
        else finish();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.server.address();
  if (address === null || typeof address === "string") throw new Error("SMTP sink has no TCP port");

  return {
    port: address.port,
    url: `smtp://127.0.0.1:${address.port}`,
    received,
    recipientsTried,
    replyWith(next) {
      reply = next;
    },
    delayData(ms) {
      dataDelayMs = ms;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
