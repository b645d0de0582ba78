import type { Database } from "../../db/database";
import { httpError } from "../../http/errors";
import { createIdempotencyRepository, type IdempotencyRecord } from "./repository";

/** A response as the client saw it: what a replay sends again. */
export interface StoredResponse {
  status: number;
  body: unknown;
}

export interface IdempotencyScope {
  /** principal.id: keys of different callers never meet. */
  principal: string;
  key: string;
  /** requestFingerprint() of the request: the same key with another request is refused. */
  fingerprint: string;
}

export interface IdempotencyOptions {
  db: Database;
  /** How long a key is remembered; Stripe's 24 hours. */
  ttlMs?: number;
  /** How long a request waits for a concurrent one with the same key before a 409. */
  waitMs?: number;
  /** A reservation this old belongs to a request that died (a crash): it is taken over. */
  staleMs?: number;
}

export type Idempotency = ReturnType<typeof createIdempotency>;

const hour = 3_600_000;
const sweepEveryMs = 60_000;
const sweepBatch = 500;

export const inProgressMessage = "A request with this Idempotency-Key is in progress";
export const reusedKeyMessage = "This Idempotency-Key was already used with a different request";

/**
 * Stripe's Idempotency-Key semantics. The first request reserves the key (a row without a
 * status), then runs and stores its response in the same transaction as its writes, so a crash
 * leaves neither a row nor a record behind. Concurrent requests with the key poll until the
 * first one finishes and replay its response, or give up with a 409 after `waitMs`. A failed
 * first attempt (any error: 4xx or 5xx) releases the key, so that a retry runs again: the 4xx
 * answers here depend on state that can change (a taken email, an owner), and a retry that
 * still fails gets the same answer anyway.
 */
export function createIdempotency(options: IdempotencyOptions) {
  const { db } = options;
  const ttlMs = options.ttlMs ?? 24 * hour;
  const waitMs = options.waitMs ?? 5_000;
  const staleMs = options.staleMs ?? 60_000;
  const keys = createIdempotencyRepository(db);
  let lastSweep = 0;

  /** Forgets expired keys now and then, a batch at a time, so the table does not grow forever. */
  async function sweep(now: number) {
    if (now - lastSweep < sweepEveryMs) return;
    lastSweep = now;
    await keys.deleteExpired(new Date(now - ttlMs).toISOString(), sweepBatch);
  }

  async function runFirst(
    scope: IdempotencyScope,
    reservedAt: string,
    execute: (tx: Database) => Promise<StoredResponse>,
  ) {
    try {
      return await db.sql.begin(async (sql) => {
        const tx = { ...db, sql };
        const response = await execute(tx);
        const stored = { status: response.status, body: JSON.stringify(response.body) };
        const completed = await createIdempotencyRepository(tx).complete(
          scope.principal,
          scope.key,
          reservedAt,
          stored,
        );
        // Our reservation was taken over as stale: roll back rather than create a second row.
        if (!completed) throw httpError(409, inProgressMessage);
        return response;
      });
    } catch (error) {
      await keys.remove(scope.principal, scope.key, reservedAt);
      throw error;
    }
  }

  return {
    async run(
      scope: IdempotencyScope,
      execute: (tx: Database) => Promise<StoredResponse>,
    ): Promise<{ response: StoredResponse; replayed: boolean }> {
      const deadline = Date.now() + waitMs;
      for (let attempt = 0; ; attempt++) {
        const now = Date.now();
        await sweep(now);
        const reservedAt = new Date(now).toISOString();
        if (await keys.reserve(scope.principal, scope.key, scope.fingerprint, reservedAt)) {
          return { response: await runFirst(scope, reservedAt, execute), replayed: false };
        }
        const existing = await keys.find(scope.principal, scope.key);
        if (existing === undefined) continue;
        if (isOlderThan(existing, ttlMs) || (existing.statusCode === null && isOlderThan(existing, staleMs))) {
          await keys.remove(scope.principal, scope.key, existing.createdAt);
          continue;
        }
        if (existing.requestHash !== scope.fingerprint) {
          throw httpError(422, reusedKeyMessage, { details: { "idempotency-key": [reusedKeyMessage] } });
        }
        if (existing.statusCode !== null) {
          return {
            response: { status: existing.statusCode, body: JSON.parse(existing.responseBody ?? "null") },
            replayed: true,
          };
        }
        if (Date.now() >= deadline) throw httpError(409, inProgressMessage);
        await Bun.sleep(Math.min(25 * 2 ** attempt, 250));
      }
    },
  };
}

function isOlderThan(record: IdempotencyRecord, ms: number): boolean {
  return Date.parse(record.createdAt) < Date.now() - ms;
}

/** A stable hash of what a request asks for: method, path and its body with keys in order. */
export function requestFingerprint(method: string, path: string, body: unknown): string {
  const hasher = new Bun.CryptoHasher("sha256");
  hasher.update(`${method} ${path}\n${canonicalJson(body)}`);
  return hasher.digest("hex");
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}
