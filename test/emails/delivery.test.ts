import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import type { App } from "../../src/app";
import { smtpReadiness } from "../../src/mail/readiness";
import { createMailer, createSmtpMailer, type Mailer } from "../../src/mail/transport";
import { createEmailWorker, type EmailWorker, type EmailWorkerOptions } from "../../src/mail/worker";
import { createMemoryLogger } from "../../src/observability/logger";
import { buildTestApp, testConfig } from "../helpers/app";
import { createTestDatabase, dialects, type TestDatabase } from "../helpers/database";
import {
  bearer,
  cheapHashEnv,
  jsonRequest,
  login,
  type SeededOrganization,
  seedOrganization,
} from "../helpers/fixtures";
import { type SmtpSink, startSmtpSink } from "./smtp-sink";
import { dataOf, insertProspect, waitFor } from "./support";

const from = "Revenue API <outbound@revenue.example>";

describe.each(dialects)("email delivery over SMTP on %s", (dialect) => {
  let database: TestDatabase;
  let sink: SmtpSink;
  let mailer: Mailer;
  let app: App;
  let acme: SeededOrganization;
  let token: string;
  let prospectId: string;
  const workers: EmailWorker[] = [];

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    sink = await startSmtpSink();
    mailer = createSmtpMailer({ url: sink.url, from });
    app = buildTestApp({ env: cheapHashEnv, deps: { db: database.db, mailer } }).app;
    acme = await seedOrganization(database.db, "Acme");
    token = (await login(app, acme.user)).accessToken;
    prospectId = await insertProspect(database.db, acme.id, { email: "ada@lovelace.example" });
  });
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.stop()));
    sink.replyWith(() => undefined);
    sink.delayData(0);
    sink.received.length = 0;
    sink.recipientsTried.length = 0;
  });
  afterAll(async () => {
    mailer.close();
    await sink.close();
    await database.drop();
  });

  const worker = (options: Partial<EmailWorkerOptions> = {}) => {
    const w = createEmailWorker({ db: database.db, mailer, logger: createMemoryLogger(), retryBaseMs: 5, ...options });
    workers.push(w);
    return w;
  };
  const queue = async (body: Record<string, unknown>) => {
    const response = await app.handle(jsonRequest("POST", "/api/v1/emails", { prospectId, ...body }, bearer(token)));
    expect(response.status).toBe(202);
    return dataOf(response);
  };
  const read = async (id: string) => {
    const response = await app.handle(new Request(`http://localhost/api/v1/emails/${id}`, { headers: bearer(token) }));
    return dataOf(response);
  };
  const statusOf = async (id: string) => (await read(id)).status;

  test("delivers a queued email: the SMTP server receives from, to, subject, text and HTML", async () => {
    const { id } = await queue({
      subject: "Quarterly review",
      text: "Hello Ada,\nshall we talk?",
      html: "<p>Hello <b>Ada</b></p>",
    });
    worker({ pollIntervalMs: 10 }).start();
    await waitFor(async () => (await statusOf(id)) === "sent", 5000, "the email to be sent");

    expect(sink.received).toHaveLength(1);
    const message = sink.received[0];
    expect(message?.envelopeFrom).toBe("outbound@revenue.example");
    expect(message?.envelopeTo).toEqual(["ada@lovelace.example"]);
    expect(message?.headers.from).toBe("Revenue API <outbound@revenue.example>");
    expect(message?.headers.to).toBe("ada@lovelace.example");
    expect(message?.headers.subject).toBe("Quarterly review");
    expect(message?.headers["message-id"]).toBe(`<${id}@revenue.example>`);
    expect(message?.text).toBe("Hello Ada,\nshall we talk?".replace("\n", "\r\n"));
    expect(message?.html).toBe("<p>Hello <b>Ada</b></p>");

    const email = await read(id);
    expect(email).toMatchObject({ status: "sent", attempts: 1, lastError: null, messageId: `<${id}@revenue.example>` });
    expect(Date.parse(email.sentAt ?? "")).toBeGreaterThanOrEqual(Date.parse(email.createdAt));
  });

  test("carries the trace of the request that queued an email to the message's traceparent header", async () => {
    const traceId = "0af7651916cd43dd8448eb211c80319c";
    const response = await app.handle(
      jsonRequest(
        "POST",
        "/api/v1/emails",
        { prospectId, subject: "Traced", text: "Body" },
        {
          ...bearer(token),
          traceparent: `00-${traceId}-b7ad6b7169203331-01`,
        },
      ),
    );
    expect(response.status).toBe(202);
    const { id } = await dataOf(response);
    worker({ pollIntervalMs: 10 }).start();
    await waitFor(async () => (await statusOf(id)) === "sent", 5000, "the email to be sent");
    const message = sink.received.find((m) => m.headers.subject === "Traced");
    expect(message?.headers.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    expect(message?.headers.traceparent).not.toContain("b7ad6b7169203331");
  });

  test("keeps retrying a 451 with doubling waits, then fails it with the server's reply kept", async () => {
    sink.replyWith(() => ({ code: 451, message: "Try again later, mailbox busy" }));
    const { id } = await queue({ subject: "Busy", text: "Body" });
    const w = worker({ retryBaseMs: 60_000, maxAttempts: 3 });
    const makeDue = () =>
      database.db.sql`UPDATE emails SET next_attempt_at = ${new Date(Date.now() - 1).toISOString()} WHERE id = ${id}`;

    expect(await w.runOnce()).toBe(1);
    const afterFirst = await read(id);
    expect(afterFirst).toMatchObject({ status: "queued", attempts: 1, lastError: "451 Try again later, mailbox busy" });
    expect(Date.parse(afterFirst.nextAttemptAt) - Date.parse(afterFirst.updatedAt)).toBe(60_000);
    // Not due yet: nothing is claimed before the wait has passed.
    expect(await w.runOnce()).toBe(0);

    await makeDue();
    expect(await w.runOnce()).toBe(1);
    const afterSecond = await read(id);
    expect(afterSecond).toMatchObject({ status: "queued", attempts: 2 });
    expect(Date.parse(afterSecond.nextAttemptAt) - Date.parse(afterSecond.updatedAt)).toBe(120_000);

    await makeDue();
    expect(await w.runOnce()).toBe(1);
    expect(await read(id)).toMatchObject({
      status: "failed",
      attempts: 3,
      lastError: "451 Try again later, mailbox busy",
    });
    await makeDue();
    expect(await w.runOnce()).toBe(0);
    expect(sink.recipientsTried).toEqual(["ada@lovelace.example", "ada@lovelace.example", "ada@lovelace.example"]);
    expect(sink.received).toHaveLength(0);
  });

  test("retries with the default policy: 5 attempts, 30 s doubling", async () => {
    sink.replyWith(() => ({ code: 451, message: "Greylisted" }));
    const { id } = await queue({ subject: "Defaults", text: "Body" });
    const w = createEmailWorker({ db: database.db, mailer, logger: createMemoryLogger() });
    const waits: number[] = [];
    for (let attempt = 1; attempt <= 5; attempt++) {
      expect(await w.runOnce()).toBe(1);
      const email = await read(id);
      if (email.status === "queued") waits.push(Date.parse(email.nextAttemptAt) - Date.parse(email.updatedAt));
      await database.db
        .sql`UPDATE emails SET next_attempt_at = ${new Date(Date.now() - 1).toISOString()} WHERE id = ${id}`;
    }
    expect(waits).toEqual([30_000, 60_000, 120_000, 240_000]);
    expect(await read(id)).toMatchObject({ status: "failed", attempts: 5, lastError: "451 Greylisted" });
  });

  test("fails a 550 at once: a permanent refusal is not retried", async () => {
    sink.replyWith(() => ({ code: 550, message: "No such user here" }));
    const { id } = await queue({ subject: "Unknown", text: "Body" });
    const w = worker();
    expect(await w.runOnce()).toBe(1);
    expect(await read(id)).toMatchObject({ status: "failed", attempts: 1, lastError: "550 No such user here" });
    await Bun.sleep(20);
    expect(await w.runOnce()).toBe(0);
    expect(sink.recipientsTried).toHaveLength(1);
  });

  test("delivers once a temporary failure clears", async () => {
    let refusals = 1;
    sink.replyWith(() => (refusals-- > 0 ? { code: 451, message: "Local error in processing" } : undefined));
    const { id } = await queue({ subject: "Eventually", text: "Body" });
    worker({ pollIntervalMs: 5 }).start();
    await waitFor(async () => (await statusOf(id)) === "sent", 5000, "the retried email to be sent");
    expect(await read(id)).toMatchObject({ status: "sent", attempts: 2, lastError: null });
    expect(sink.received).toHaveLength(1);
  });

  test("refuses at send time a stored recipient that could inject headers, without connecting", async () => {
    const { id } = await queue({ subject: "Tainted", text: "Body" });
    await database.db
      .sql`UPDATE emails SET to_address = ${"ada@lovelace.example\r\nBcc: all@example.com"} WHERE id = ${id}`;
    expect(await worker().runOnce()).toBe(1);
    expect(await read(id)).toMatchObject({
      status: "failed",
      attempts: 1,
      lastError: "the recipient address is not deliverable",
    });
    expect(sink.recipientsTried).toHaveLength(0);
  });

  test("puts back an email whose worker died mid-send once its lock has run out", async () => {
    const { id } = await queue({ subject: "Orphaned", text: "Body" });
    const expired = new Date(Date.now() - 1000).toISOString();
    await database.db
      .sql`UPDATE emails SET status = 'sending', attempts = 1, locked_until = ${expired} WHERE id = ${id}`;
    expect(await worker().runOnce()).toBe(1);
    expect(await read(id)).toMatchObject({ status: "sent", attempts: 2 });
    expect(sink.received.map((m) => m.headers.subject)).toEqual(["Orphaned"]);
  });

  test("leaves an email another worker holds alone while its lock lasts", async () => {
    const { id } = await queue({ subject: "Held", text: "Body" });
    const later = new Date(Date.now() + 60_000).toISOString();
    await database.db.sql`UPDATE emails SET status = 'sending', attempts = 1, locked_until = ${later} WHERE id = ${id}`;
    expect(await worker().runOnce()).toBe(0);
    expect(await statusOf(id)).toBe("sending");
    await database.db.sql`UPDATE emails SET status = 'sent' WHERE id = ${id}`;
  });

  test("stop() waits for the send under way and records it", async () => {
    sink.delayData(300);
    const { id } = await queue({ subject: "Slow", text: "Body" });
    const w = worker({ pollIntervalMs: 5 });
    w.start();
    await waitFor(() => sink.recipientsTried.length === 1, 5000, "the send to start");
    await w.stop();
    expect(await statusOf(id)).toBe("sent");
    expect(sink.received).toHaveLength(1);
  });
});

describe("the transport a configuration gets", () => {
  test("without SMTP_URL outside development there is none: emails stay queued", () => {
    expect(createMailer(testConfig(), createMemoryLogger())).toBeUndefined();
    expect(
      createMailer(
        testConfig({
          NODE_ENV: "production",
          JWT_SECRET: "a".repeat(32),
          JWT_REFRESH_SECRET: "b".repeat(32),
          METRICS_TOKEN: "m".repeat(32),
        }),
        createMemoryLogger(),
      ),
    ).toBeUndefined();
  });

  test("development without SMTP_URL prints each message to the log instead of sending it", async () => {
    const logger = createMemoryLogger();
    const mailer = createMailer(testConfig({ NODE_ENV: "development" }), logger);
    expect(mailer?.kind).toBe("log");
    const result = await mailer?.send({
      id: "0193-dev",
      to: "ada@lovelace.example",
      subject: "Hi",
      text: "Body",
      html: null,
    });
    expect(result?.messageId).toBe("<0193-dev@localhost>");
    expect(logger.lines).toEqual([
      {
        level: "info",
        msg: "email printed, not sent (SMTP_URL is not set)",
        messageId: "<0193-dev@localhost>",
        from: "Revenue API <no-reply@localhost>",
        to: "ada@lovelace.example",
        subject: "Hi",
        text: "Body",
      },
    ]);
  });

  test.each([
    ["LF", "a@b.example\nBcc: x@y.example"],
    ["C1 NEL in the display name", "Revenue\u0085Bcc: x@y.example <a@b.example>"],
    ["C1 U+009B", "Revenue \u009b<a@b.example>"],
  ])("refuses at start-up an EMAIL_FROM that could inject headers (%s)", (_name, from) => {
    expect(() =>
      createMailer(testConfig({ SMTP_URL: "smtp://127.0.0.1:2525", EMAIL_FROM: from }), createMemoryLogger()),
    ).toThrow("EMAIL_FROM");
  });
});

describe("smtp readiness", () => {
  test("is healthy while the SMTP server greets, unhealthy when it is gone, disabled without one", async () => {
    const sink = await startSmtpSink();
    const healthy = createSmtpMailer({ url: sink.url, from });
    const gone = createSmtpMailer({ url: "smtp://127.0.0.1:1", from });
    const ready = (smtp: (() => Promise<void>) | undefined) =>
      buildTestApp({ deps: { readiness: { smtp } } })
        .request("/health/ready")
        .then((r) => r.json() as Promise<{ checks: Record<string, string> }>);
    try {
      expect((await ready(smtpReadiness(healthy))).checks).toEqual({ smtp: "healthy" });
      expect((await ready(smtpReadiness(gone))).checks).toEqual({ smtp: "unhealthy" });
      expect((await ready(undefined)).checks).toEqual({ smtp: "disabled" });
    } finally {
      healthy.close();
      gone.close();
      await sink.close();
    }
  });
});
