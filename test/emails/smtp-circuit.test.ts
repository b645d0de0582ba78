import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createCircuitBreaker } from "../../src/lib/circuit-breaker";
import { createSmtpMailer, type Mailer } from "../../src/mail/transport";
import { createEmailWorker } from "../../src/mail/worker";
import { createMemoryLogger } from "../../src/observability/logger";
import { buildTestApp } from "../helpers/app";
import { createTestDatabase, type TestDatabase } from "../helpers/database";
import { type FaultProxy, startFaultProxy } from "../helpers/fault-proxy";
import { bearer, cheapHashEnv, jsonRequest, login, seedOrganization } from "../helpers/fixtures";
import { type SmtpSink, startSmtpSink } from "./smtp-sink";
import { dataOf, insertProspect, waitFor } from "./support";

describe("the SMTP relay's circuit breaker, through a fault proxy in front of a real SMTP server", () => {
  let database: TestDatabase;
  let sink: SmtpSink;
  let proxy: FaultProxy;
  let mailer: Mailer;
  const transitions: string[] = [];

  beforeAll(async () => {
    database = await createTestDatabase("sqlite");
    sink = await startSmtpSink();
    proxy = await startFaultProxy("127.0.0.1", sink.port);
    mailer = createSmtpMailer({
      url: `smtp://127.0.0.1:${proxy.port}`,
      from: "Revenue API <outbound@revenue.example>",
      breaker: (verify) =>
        createCircuitBreaker({
          name: "smtp",
          probe: verify,
          openMs: 200,
          maxOpenMs: 400,
          onTransition: (from, to) => transitions.push(`${from}→${to}`),
        }),
    });
  });
  afterAll(async () => {
    mailer.close();
    await proxy.close();
    await sink.close();
    await database.drop();
  });

  test("after 3 failed sends the worker stops claiming emails, so none spends an attempt; the probe closes it and they go out", async () => {
    const { app } = buildTestApp({ env: cheapHashEnv, deps: { db: database.db, mailer } });
    const org = await seedOrganization(database.db, "Relay Co");
    const token = (await login(app, org.user)).accessToken;
    const prospectId = await insertProspect(database.db, org.id, { email: "ada@relay.example" });
    const queue = async () => {
      const response = await app.handle(
        jsonRequest("POST", "/api/v1/emails", { prospectId, subject: "Hi", text: "Hello" }, bearer(token)),
      );
      expect(response.status).toBe(202);
      return (await dataOf(response)).id;
    };
    const attemptsOf = async (id: string) =>
      (await database.db.sql`SELECT attempts, status FROM emails WHERE id = ${id}`)[0] as {
        attempts: number;
        status: string;
      };

    proxy.refuse();
    const worker = createEmailWorker({ db: database.db, mailer, logger: createMemoryLogger(), retryBaseMs: 1 });
    const first = [await queue(), await queue(), await queue()];
    expect(await worker.runOnce()).toBe(3);
    expect(mailer.breaker?.state()).toBe("open");

    const later = await queue();
    await database.db.sql`UPDATE emails SET next_attempt_at = ${new Date(0).toISOString()}`;
    // Open: nothing is claimed, the relay is not dialled, the queued email keeps its attempts.
    const dialled = proxy.accepted;
    expect(await worker.runOnce()).toBe(0);
    expect(await attemptsOf(later)).toEqual({ attempts: 0, status: "queued" });
    expect(proxy.accepted - dialled).toBeLessThanOrEqual(1);

    proxy.heal();
    await waitFor(() => mailer.breaker?.state() === "closed", 3000, "the probe to close the circuit");
    await worker.runOnce();
    for (const id of [...first, later]) expect((await attemptsOf(id)).status).toBe("sent");
    expect(sink.received).toHaveLength(4);
    expect(transitions[0]).toBe("closed→open");
    expect(transitions.at(-1)).toBe("half-open→closed");
  });
});
