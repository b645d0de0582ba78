import { afterAll, afterEach, beforeAll, describe, expect, setSystemTime, test } from "bun:test";
import { brotliDecompressSync } from "node:zlib";
import type { App } from "../../src/app";
import { type Database, openDatabase } from "../../src/db/database";
import { createRevocationBus } from "../../src/modules/auth/revocation-bus";
import { redisWriteGenerations, type WriteGenerations } from "../../src/modules/organizations/write-generations";
import { createMemoryLogger } from "../../src/observability/logger";
import { createMetrics } from "../../src/observability/metrics";
import { closeRedis, createRedis, type RedisConnection, waitForRedis } from "../../src/redis/client";
import { buildTestApp, expectErrorEnvelope, testConfig } from "../helpers/app";
import { createTestDatabase, dialects, type TestDatabase } from "../helpers/database";
import { type FaultProxy, startFaultProxy } from "../helpers/fault-proxy";
import { bearer, cheapHashEnv, login, type SeededOrganization, seedOrganization } from "../helpers/fixtures";
import { type RedisClusterProcesses, redisServersAvailable, startRedisCluster } from "../helpers/redis-topology";
import { parsePrometheusText, sampleValue } from "../observability/prometheus-text";
import { adminRedis, redisAvailable, redisUrl } from "../ratelimit/support";
import { insertProspects } from "./support";

interface Page {
  data: Array<{ id: string; email: string; company: string | null; ownerId: string | null }>;
}

const ttlMs = 5_000;
// One signing key for every instance: a token one of them issued is valid on the others.
const sharedJwt = testConfig().jwt;

/**
 * Pages of the prospects list kept by each instance under the organization's write generation in
 * Redis. Several app instances on one database, each with its own Redis connection (some through a
 * fault proxy), as pods are; what is asserted is what a client of any of them sees.
 */
describe.skipIf(!redisAvailable)("the prospects page cache", () => {
  let database: TestDatabase;
  let org: SeededOrganization;
  let token: string;
  let proxy: FaultProxy;
  const connections: RedisConnection[] = [];
  const admin = adminRedis();

  beforeAll(async () => {
    database = await createTestDatabase(dialects.includes("postgres") ? "postgres" : "sqlite");
    org = await seedOrganization(database.db, "Page Cache");
    const url = new URL(redisUrl);
    proxy = await startFaultProxy(url.hostname, Number(url.port || 6379));
    token = (await login(instance(), org.user)).accessToken;
  });
  afterEach(() => {
    setSystemTime();
    proxy.heal();
  });
  afterAll(async () => {
    for (const connection of connections) await closeRedis(connection);
    if (org) await admin.del(`revenue-api:generation:${org.id}`);
    await admin.quit();
    await proxy?.close();
    await database.drop();
  });

  /** What dependencies.ts builds: a commands connection (through `url`) and the generations on it. */
  async function connectionAt(url: string) {
    const redis = createRedis(url, createMemoryLogger());
    connections.push(redis);
    expect(await waitForRedis(redis, 2000)).toBe(true);
    return { redis, generations: redisWriteGenerations(redis, { timeoutMs: 50 }) };
  }
  const generationsAt = async (url: string) => (await connectionAt(url)).generations;

  function instance(generations?: WriteGenerations, env: Record<string, string> = {}): App {
    const config = testConfig({ ...cheapHashEnv, PAGE_CACHE_TTL_MS: String(ttlMs), ...env });
    const logger = createMemoryLogger();
    return buildTestApp({
      deps: {
        db: database.db,
        bus: createRevocationBus({ logger }),
        logger,
        generations,
        config: { ...config, jwt: sharedJwt },
      },
    }).app;
  }

  const call = (app: App, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    app.handle(
      new Request(`http://localhost/api/v1${path}`, {
        method,
        headers: { ...bearer(token), "content-type": "application/json", ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
    );
  const page = async (app: App, query = "limit=100"): Promise<Page> => {
    const response = await call(app, "GET", `/prospects?${query}`);
    expect(response.status).toBe(200);
    return (await response.json()) as Page;
  };
  /**
   * Two reads: an organization's first read finds no generation in Redis, starts one and caches
   * nothing (a test's organization may or may not have one yet); the second is cached.
   */
  const warm = async (app: App) => {
    await page(app);
    await page(app);
  };
  const emails = (listed: Page) => listed.data.map((p) => p.email);
  /** A row written around the API (an operator's SQL, a restore): no generation changes. */
  const writeAround = (email: string) => insertProspects(database.db, org.id, [{ email }]);
  const unique = (name: string) => `${name}-${crypto.randomUUID().slice(0, 8)}@around.example.com`;

  test("a page is served again while nothing changed through the API, and a write around the API shows once it expires", async () => {
    const app = instance(await generationsAt(redisUrl));
    await warm(app);
    const around = unique("operator");
    await writeAround(around);
    // Served from the cache: the row is in the table, not in the page.
    expect(emails(await page(app))).not.toContain(around);

    setSystemTime(new Date(Date.now() + ttlMs + 1));
    expect(emails(await page(app))).toContain(around);
  });

  test("a prospect created, changed or deleted on one instance is in the next page every other instance serves", async () => {
    const reader = instance(await generationsAt(redisUrl));
    const writer = instance(await generationsAt(redisUrl));
    await warm(reader);

    const created = await call(writer, "POST", "/prospects", { email: unique("created"), company: "Initech" });
    expect(created.status).toBe(201);
    const { data } = (await created.json()) as { data: { id: string; email: string } };
    expect(emails(await page(reader))).toContain(data.email);

    expect((await call(writer, "PATCH", `/prospects/${data.id}`, { company: "Initrode" })).status).toBe(200);
    expect((await page(reader)).data.find((p) => p.id === data.id)?.company).toBe("Initrode");

    expect((await call(writer, "DELETE", `/prospects/${data.id}`)).status).toBe(200);
    expect(emails(await page(reader))).not.toContain(data.email);
  });

  test("a prospect created with an Idempotency-Key, and its replay, are in the next page another instance serves", async () => {
    const reader = instance(await generationsAt(redisUrl));
    const writer = instance(await generationsAt(redisUrl));
    await warm(reader);
    const body = { email: unique("idempotent") };
    const headers = { "idempotency-key": crypto.randomUUID() };
    expect((await call(writer, "POST", "/prospects", body, headers)).status).toBe(201);
    expect(emails(await page(reader))).toContain(body.email);
    expect((await call(writer, "POST", "/prospects", body, headers)).headers.get("idempotent-replayed")).toBe("true");
    expect(emails(await page(reader)).filter((email) => email === body.email)).toHaveLength(1);
  });

  test("deleting a user on one instance clears the owner of their prospects in the pages of the others", async () => {
    const reader = instance(await generationsAt(redisUrl));
    const writer = instance(await generationsAt(redisUrl));
    const adminToken = (await login(writer, org.admin)).accessToken;
    const doomed = await call(
      writer,
      "POST",
      "/users",
      { email: unique("leaver"), password: "correct horse battery", role: "user" },
      bearer(adminToken),
    );
    expect(doomed.status).toBe(201);
    const ownerId = ((await doomed.json()) as { data: { id: string } }).data.id;
    const owned = await call(writer, "POST", "/prospects", { email: unique("owned"), ownerId });
    const prospectId = ((await owned.json()) as { data: { id: string } }).data.id;
    expect((await page(reader)).data.find((p) => p.id === prospectId)?.ownerId).toBe(ownerId);

    expect((await call(writer, "DELETE", `/users/${ownerId}`, undefined, bearer(adminToken))).status).toBe(200);
    expect((await page(reader)).data.find((p) => p.id === prospectId)?.ownerId).toBeNull();
  });

  test("a client that sends Cache-Control: no-cache gets the page read now, and the kept page is replaced by it", async () => {
    const app = instance(await generationsAt(redisUrl));
    await warm(app);
    const around = unique("hard-reload");
    await writeAround(around);
    expect(emails(await page(app))).not.toContain(around);
    const fresh = await call(app, "GET", "/prospects?limit=100", undefined, { "cache-control": "max-age=0, no-cache" });
    expect(emails((await fresh.json()) as Page)).toContain(around);
    expect(emails(await page(app))).toContain(around);
  });

  test("each organization's pages are its own", async () => {
    const app = instance(await generationsAt(redisUrl));
    const other = await seedOrganization(database.db, `Other ${crypto.randomUUID().slice(0, 6)}`);
    await insertProspects(database.db, other.id, [{ email: "only-theirs@other.example.com" }]);
    const otherToken = (await login(app, other.user)).accessToken;
    const theirs = async () => {
      const response = await call(app, "GET", "/prospects?limit=100", undefined, bearer(otherToken));
      return emails((await response.json()) as Page);
    };
    expect(await theirs()).toEqual(["only-theirs@other.example.com"]);
    expect(emails(await page(app))).not.toContain("only-theirs@other.example.com");
    // Both cached now: still each its own.
    expect(await theirs()).toEqual(["only-theirs@other.example.com"]);
  });

  test("a cached page is sent byte for byte as a fresh read of it, with the same ETag, and answers If-None-Match with 304", async () => {
    const cached = instance(await generationsAt(redisUrl));
    const uncached = instance(undefined);
    const first = await call(cached, "GET", "/prospects?limit=5&sort=email");
    // An unknown sort is a 422 on both, and nothing is cached for it.
    expect(first.status).toBe(422);
    const read = (app: App) => call(app, "GET", "/prospects?limit=5");
    const fresh = await read(uncached);
    const [miss, hit] = [await read(cached), await read(cached)];
    const text = await fresh.text();
    expect(await miss.text()).toBe(text);
    expect(await hit.text()).toBe(text);
    expect(hit.headers.get("etag")).toBe(fresh.headers.get("etag"));
    expect(hit.headers.get("content-type")).toBe("application/json; charset=utf-8");
    const etag = hit.headers.get("etag") as string;
    const revalidated = await call(cached, "GET", "/prospects?limit=5", undefined, { "if-none-match": etag });
    expect(revalidated.status).toBe(304);
  });

  test("a cached page asked for gzip or br is sent compressed, and decodes to the page's JSON each time", async () => {
    const app = instance(await generationsAt(redisUrl));
    await warm(app);
    const plain = await (await call(app, "GET", "/prospects?limit=100")).text();
    const decoders = {
      gzip: (bytes: Uint8Array<ArrayBuffer>) => Bun.gunzipSync(bytes),
      br: (bytes: Uint8Array<ArrayBuffer>) => brotliDecompressSync(bytes),
    };
    for (const encoding of ["gzip", "br"] as const) {
      for (let i = 0; i < 3; i++) {
        const response = await call(app, "GET", "/prospects?limit=100", undefined, { "accept-encoding": encoding });
        expect(response.headers.get("content-encoding")).toBe(encoding);
        const decoded = new TextDecoder().decode(decoders[encoding](new Uint8Array(await response.arrayBuffer())));
        expect(decoded).toBe(plain);
      }
    }
  });

  test("a generation lost from Redis (evicted, flushed) never brings an old page back", async () => {
    const app = instance(await generationsAt(redisUrl));
    await warm(app);
    await admin.del(`revenue-api:generation:${org.id}`);
    const around = unique("after-flush");
    await writeAround(around);
    // No generation: read from the database, and a new generation is started.
    expect(emails(await page(app))).toContain(around);
    expect(await admin.get(`revenue-api:generation:${org.id}`)).not.toBeNull();
  });

  // How the link breaks: Redis's port refusing, a proxy in front of it accepting and closing at
  // once, or a partition (nothing answers; only the 50 ms deadline ends the wait).
  test.each(["refuse", "acceptThenClose", "blackhole"] as const)(
    "with its Redis unreachable (%s) an instance reads every page from the database, at once",
    async (breakLink) => {
      const app = instance(await generationsAt(`redis://127.0.0.1:${proxy.port}`));
      await warm(app);
      proxy[breakLink]();
      const around = unique(breakLink);
      await writeAround(around);
      const started = performance.now();
      expect(emails(await page(app))).toContain(around);
      expect(performance.now() - started).toBeLessThan(1000);
    },
  );

  test("in a partition one request a second waits out the 50 ms deadline, not every one", async () => {
    const app = instance(await generationsAt(`redis://127.0.0.1:${proxy.port}`));
    await warm(app);
    proxy.blackhole();
    const timed = async () => {
      const started = performance.now();
      await page(app);
      return performance.now() - started;
    };
    // The deadline ticks every 10 ms: it ends 40–50 ms in; a read without the wait takes a few.
    expect(await timed()).toBeGreaterThanOrEqual(30);
    let next = 0;
    for (let i = 0; i < 5; i++) next += await timed();
    // Five waits would be 200 ms at least.
    expect(next).toBeLessThan(150);
  });

  test("a write right after a read gave up on a silent Redis still records its generation", async () => {
    const reader = instance(await generationsAt(redisUrl));
    const writer = instance(await generationsAt(`redis://127.0.0.1:${proxy.port}`));
    await warm(reader);
    await warm(writer);
    proxy.blackhole();
    // The read waits out its deadline; reads then leave Redis alone for a second.
    await page(writer);
    proxy.heal();
    const body = { email: unique("after-silence") };
    expect((await call(writer, "POST", "/prospects", body)).status).toBe(201);
    expect(emails(await page(reader))).toContain(body.email);
  });

  test("a write whose new generation could not reach Redis is in its own instance's next page at once, and in the others' within the TTL", async () => {
    const reader = instance(await generationsAt(redisUrl));
    const through = await connectionAt(`redis://127.0.0.1:${proxy.port}`);
    const writer = instance(through.generations);
    await warm(reader);
    await warm(writer);

    // Its connection ends (a partition would hold the SET and deliver it when it heals).
    proxy.refuse();
    const body = { email: unique("unrecorded") };
    const started = performance.now();
    expect((await call(writer, "POST", "/prospects", body)).status).toBe(201);
    expect(performance.now() - started).toBeLessThan(1000);
    proxy.heal();
    expect(await waitForRedis(through.redis, 3000)).toBe(true);

    // The writer dropped its own pages; the reader, told nothing, serves its page until it expires.
    expect(emails(await page(writer))).toContain(body.email);
    expect(emails(await page(reader))).not.toContain(body.email);
    setSystemTime(new Date(Date.now() + ttlMs + 1));
    expect(emails(await page(reader))).toContain(body.email);
  });

  test("/metrics counts pages by how they were answered, and what is kept", async () => {
    const metrics = createMetrics({ processMetrics: false });
    const config = testConfig({ ...cheapHashEnv, PAGE_CACHE_TTL_MS: String(ttlMs) });
    const logger = createMemoryLogger();
    const built = buildTestApp({
      deps: {
        db: database.db,
        bus: createRevocationBus({ logger }),
        logger,
        generations: await generationsAt(redisUrl),
        config: { ...config, jwt: sharedJwt },
        metrics,
        observers: [metrics.observe],
      },
    });
    await warm(built.app);
    await page(built.app);
    await call(built.app, "GET", "/prospects?limit=100", undefined, { "cache-control": "no-cache" });
    const families = parsePrometheusText(await (await built.request("/metrics")).text());
    const reads = (result: string) => sampleValue(families, "page_cache_reads_total", { result }) ?? 0;
    // The second and third reads were kept pages (the first may have started the generation).
    expect(reads("hit")).toBeGreaterThanOrEqual(2);
    expect(reads("miss") + reads("uncached")).toBeGreaterThanOrEqual(1);
    expect(reads("fresh")).toBe(1);
    expect(sampleValue(families, "page_cache_pages", {})).toBe(1);
    expect(sampleValue(families, "page_cache_json_chars", {}) ?? 0).toBeGreaterThan(100);
  });

  test("an instance with its own cache off still tells the others of its writes", async () => {
    const reader = instance(await generationsAt(redisUrl));
    const writer = instance(await generationsAt(redisUrl), { PAGE_CACHE_TTL_MS: "0" });
    await warm(reader);
    const body = { email: unique("cache-off-writer") };
    expect((await call(writer, "POST", "/prospects", body)).status).toBe(201);
    expect(emails(await page(reader))).toContain(body.email);
  });

  test("PAGE_CACHE_TTL_MS=0 turns the cache off", async () => {
    const app = instance(await generationsAt(redisUrl), { PAGE_CACHE_TTL_MS: "0" });
    await page(app);
    const around = unique("no-cache");
    await writeAround(around);
    expect(emails(await page(app))).toContain(around);
  });

  describe.skipIf(!dialects.includes("postgres"))("with Postgres gone and Redis answering", () => {
    let gone: TestDatabase;
    let pgProxy: FaultProxy;
    let db: Database;

    beforeAll(async () => {
      gone = await createTestDatabase("postgres");
      const target = new URL(gone.url);
      pgProxy = await startFaultProxy(target.hostname, Number(target.port || 5432));
      const viaProxy = new URL(gone.url);
      viaProxy.port = String(pgProxy.port);
      db = openDatabase(viaProxy.toString(), { queryTimeoutMs: 300 });
    });
    afterAll(async () => {
      await db?.close();
      await pgProxy?.close();
      await gone?.drop();
    });

    test("a page served before the cut is served again until it expires; any other page is a 503 with Retry-After", async () => {
      const team = await seedOrganization(db, "Outage");
      await insertProspects(db, team.id, [{ email: "kept@outage.example.com" }]);
      const logger = createMemoryLogger();
      const config = testConfig({ ...cheapHashEnv, PAGE_CACHE_TTL_MS: String(ttlMs) });
      const app = buildTestApp({
        deps: { db, bus: createRevocationBus({ logger }), logger, config, generations: await generationsAt(redisUrl) },
      }).app;
      const auth = bearer((await login(app, team.user)).accessToken);
      const list = (query: string) =>
        app.handle(new Request(`http://localhost/api/v1/prospects?${query}`, { headers: auth }));
      await list("limit=10");
      const before = await (await list("limit=10")).text();

      pgProxy.refuse();
      const kept = await list("limit=10");
      expect(kept.status).toBe(200);
      expect(await kept.text()).toBe(before);
      const unavailable = async (response: Response) => {
        expect(response.headers.get("retry-after")).toBe("5");
        const body = await expectErrorEnvelope(response, 503, "ServiceUnavailable");
        expect(body.message).toBe("Database unavailable, please retry");
      };
      await unavailable(await list("limit=11"));

      setSystemTime(new Date(Date.now() + ttlMs + 1));
      await unavailable(await list("limit=10"));
      await admin.del(`revenue-api:generation:${team.id}`);
    });
  });

  describe.skipIf(!redisServersAvailable)("on a Redis Cluster", () => {
    let cluster: RedisClusterProcesses;

    beforeAll(async () => {
      cluster = await startRedisCluster({ portRange: [17200, 17299], nodes: 3, replicas: 0 });
      await cluster.healthy();
    }, 30_000);
    afterAll(() => cluster?.stop());

    test("a prospect created on one instance is in the next page another instance serves", async () => {
      const generations = async () => {
        const env = { REDIS_CLUSTER_NODES: cluster.seeds };
        const target = testConfig(env).redis;
        if (!target) throw new Error("REDIS_CLUSTER_NODES was not read");
        const redis = createRedis(target, createMemoryLogger());
        connections.push(redis);
        expect(await waitForRedis(redis, 5000)).toBe(true);
        return redisWriteGenerations(redis, { timeoutMs: 50 });
      };
      const reader = instance(await generations());
      const writer = instance(await generations());
      await warm(reader);
      const around = unique("cluster-around");
      await writeAround(around);
      expect(emails(await page(reader))).not.toContain(around);

      const body = { email: unique("cluster") };
      expect((await call(writer, "POST", "/prospects", body)).status).toBe(201);
      const listed = emails(await page(reader));
      expect(listed).toContain(body.email);
      expect(listed).toContain(around);
    });
  });
});
