import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createIdempotency, inProgressMessage } from "../../src/modules/idempotency/service";
import { expectErrorEnvelope } from "../helpers/app";
import { dialects } from "../helpers/database";
import { json, type ProspectsSetup, setupProspects } from "./support";

const day = 86_400_000;

describe.each(dialects)("Idempotency-Key on POST /prospects on %s", (dialect) => {
  let s: ProspectsSetup;
  let n = 0;
  const unique = () => `${dialect}-${++n}-${Bun.randomUUIDv7()}`;
  const post = (key: string | undefined, body: unknown, as = s.as.user) =>
    s.call("POST", "/api/v1/prospects", key === undefined ? as : { ...as, "idempotency-key": key }, body);
  const countByEmail = async (email: string) =>
    (await s.database.db.sql<{ id: string }[]>`select id from prospects where email = ${email}`).length;
  const principalOf = (userId: string) => `user:${userId}`;

  beforeAll(async () => {
    s = await setupProspects(dialect);
  });
  afterAll(() => s.database.drop());

  test("the same key and body again returns the first response, marked as replayed, and creates nothing", async () => {
    const key = unique();
    const body = { email: `${key}@example.com`, company: "Acme" };
    const first = await post(key, body);
    expect(first.status).toBe(201);
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    const firstBody = await first.text();

    const again = await post(key, { company: "Acme", email: `${key}@example.com` });
    expect(again.status).toBe(201);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(await again.text()).toBe(firstBody);
    expect(await countByEmail(body.email)).toBe(1);
  });

  test("the same key with a different body is a 422 that says so, and creates nothing", async () => {
    const key = unique();
    expect((await post(key, { email: `${key}@example.com` })).status).toBe(201);
    const response = await post(key, { email: `${key}-other@example.com` });
    const body = await expectErrorEnvelope(response, 422, "ValidationError");
    expect(body.message).toBe("This Idempotency-Key was already used with a different request");
    expect(body.errors).toEqual({
      "idempotency-key": ["This Idempotency-Key was already used with a different request"],
    });
    expect(await countByEmail(`${key}-other@example.com`)).toBe(0);
  });

  test("keys belong to one caller: another user's request with the same key runs on its own", async () => {
    const key = unique();
    expect((await post(key, { email: `${key}-a@example.com` }, s.as.user)).status).toBe(201);
    const theirs = await post(key, { email: `${key}-b@example.com` }, s.as.admin);
    expect(theirs.status).toBe(201);
    expect(theirs.headers.get("idempotent-replayed")).toBeNull();
    expect(await countByEmail(`${key}-b@example.com`)).toBe(1);
  });

  test.each([
    ["empty", ""],
    ["256 characters long", "k".repeat(256)],
    ["not printable ASCII", "clé-1"],
  ])("refuses a key that is %s with 422 and creates nothing", async (_, key) => {
    const email = `${unique()}@example.com`;
    const body = await expectErrorEnvelope(await post(key, { email }), 422, "ValidationError");
    expect(body.errors).toEqual({ "idempotency-key": ["Idempotency-Key must be 1 to 255 printable ASCII characters"] });
    expect(await countByEmail(email)).toBe(0);
  });

  test("accepts a key of 255 printable characters, spaces included", async () => {
    const key = `${unique()} ~!`.padEnd(255, "x");
    expect((await post(key, { email: `${unique()}@example.com` })).status).toBe(201);
  });

  test("20 concurrent identical requests create exactly one prospect and all answer with it", async () => {
    const key = unique();
    const body = { email: `${key}@example.com`, firstName: "Concurrent" };
    const responses = await Promise.all(Array.from({ length: 20 }, () => post(key, body)));
    const texts = await Promise.all(responses.map((response) => response.text()));
    expect(responses.map((response) => response.status)).toEqual(Array(20).fill(201));
    expect(new Set(texts).size).toBe(1);
    const replayed = responses.filter((response) => response.headers.get("idempotent-replayed") === "true");
    expect(replayed.length).toBe(19);
    expect(await countByEmail(body.email)).toBe(1);
  });

  test("a failed first attempt is not stored: the retry with the same key runs again and can succeed", async () => {
    const key = unique();
    const email = `${key}@example.com`;
    const blocking = await post(undefined, { email });
    const blocker = (await json<{ data: { id: string } }>(blocking)).data.id;

    const failed = await post(key, { email, title: "CTO" });
    await expectErrorEnvelope(failed, 409, "Conflict");
    expect(failed.headers.get("idempotent-replayed")).toBeNull();
    expect((await s.call("DELETE", `/api/v1/prospects/${blocker}`, s.as.user)).status).toBe(200);

    const retried = await post(key, { email, title: "CTO" });
    expect(retried.status).toBe(201);
    expect(retried.headers.get("idempotent-replayed")).toBeNull();
    expect((await json<{ data: { title: string } }>(retried)).data.title).toBe("CTO");
  });

  test("a key older than 24 hours is forgotten: the same key with another body creates a new prospect", async () => {
    const key = unique();
    const old = new Date(Date.now() - day - 60_000).toISOString();
    await s.database.db.sql`
      insert into idempotency_keys (principal, key, request_hash, status_code, response_body, created_at)
      values (${principalOf(s.org.user.id)}, ${key}, ${"an older request"}, ${201}, ${"{}"}, ${old})`;
    const response = await post(key, { email: `${key}@example.com` });
    expect(response.status).toBe(201);
    expect(response.headers.get("idempotent-replayed")).toBeNull();
    expect(await countByEmail(`${key}@example.com`)).toBe(1);
  });

  test("expired keys of any caller are deleted as requests come in", async () => {
    const old = new Date(Date.now() - 2 * day).toISOString();
    const stale = unique();
    await s.database.db.sql`
      insert into idempotency_keys (principal, key, request_hash, status_code, response_body, created_at)
      values (${principalOf(s.other.user.id)}, ${stale}, ${"x"}, ${201}, ${"{}"}, ${old})`;
    // A new instance sweeps on its first keyed request.
    const idempotency = createIdempotency({ db: s.database.db });
    const scope = { principal: principalOf(s.org.user.id), key: unique(), fingerprint: "f" };
    await idempotency.run(scope, async () => ({ status: 201, body: {} }));
    const left = await s.database.db.sql`select key from idempotency_keys where key = ${stale}`;
    expect(left.length).toBe(0);
  });

  describe("a request that finds its key in progress", () => {
    const scope = () => ({ principal: "user:test", key: unique(), fingerprint: "same request" });
    const response = (body: unknown) => async () => ({ status: 201, body });

    test("waits for the first request and replays its response", async () => {
      const idempotency = createIdempotency({ db: s.database.db, waitMs: 2_000 });
      const key = scope();
      const first = idempotency.run(key, async () => {
        await Bun.sleep(150);
        return { status: 201, body: { first: true } };
      });
      await Bun.sleep(20);
      const second = await idempotency.run(key, response({ second: true }));
      expect(await first).toEqual({ response: { status: 201, body: { first: true } }, replayed: false });
      expect(second).toEqual({ response: { status: 201, body: { first: true } }, replayed: true });
    });

    test("answers 409 when the first is still running after the wait", async () => {
      const idempotency = createIdempotency({ db: s.database.db, waitMs: 150 });
      const key = scope();
      await s.database.db.sql`
        insert into idempotency_keys (principal, key, request_hash, created_at)
        values (${key.principal}, ${key.key}, ${key.fingerprint}, ${new Date().toISOString()})`;
      const started = Date.now();
      await expect(idempotency.run(key, response({}))).rejects.toMatchObject({
        status: 409,
        message: inProgressMessage,
      });
      expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    });

    test("runs itself when the first one fails and releases the key", async () => {
      const idempotency = createIdempotency({ db: s.database.db, waitMs: 2_000 });
      const key = scope();
      const first = idempotency.run(key, async () => {
        await Bun.sleep(100);
        throw new Error("first attempt failed");
      });
      await Bun.sleep(20);
      const second = idempotency.run(key, response({ second: true }));
      await expect(first).rejects.toThrow("first attempt failed");
      expect(await second).toEqual({ response: { status: 201, body: { second: true } }, replayed: false });
    });

    test("takes over a reservation left by a request that died", async () => {
      const idempotency = createIdempotency({ db: s.database.db, staleMs: 60_000 });
      const key = scope();
      const abandoned = new Date(Date.now() - 120_000).toISOString();
      await s.database.db.sql`
        insert into idempotency_keys (principal, key, request_hash, created_at)
        values (${key.principal}, ${key.key}, ${key.fingerprint}, ${abandoned})`;
      expect(await idempotency.run(key, response({ ran: true }))).toEqual({
        response: { status: 201, body: { ran: true } },
        replayed: false,
      });
    });
  });
});
