import { TimeoutError } from "../../lib/timeout";
import type { RedisConnection } from "../../redis/client";
import { createReplyDeadline } from "../../redis/deadline";

/**
 * An organization's write generation: a token that changes after every committed write that
 * alters what its lists show, kept where every instance reads it (Redis). A page cached under one
 * generation is served only while the generation is unchanged, so a write acknowledged by any
 * instance is in the next page read from any instance.
 */
export interface WriteGenerations {
  /**
   * The organization's generation, or undefined when it cannot be known now (Redis down, slow, or
   * no generation yet): then the caller reads the database and caches nothing.
   */
  current(organizationId: string): Promise<string | undefined>;
  /**
   * After a write has committed, before it is acknowledged: a new generation. False when it could
   * not be recorded in time; instances that cached a page before the write may then serve it
   * until their entries expire.
   */
  advance(organizationId: string): Promise<boolean>;
}

export interface RedisWriteGenerationsOptions {
  /** How long a read waits for Redis (ms of loop time) before the database is read instead. */
  timeoutMs: number;
  /** How long a write waits for its new generation to be recorded; default 250 ms. */
  advanceTimeoutMs?: number;
}

// An organization untouched for a day loses its key; the next read starts a new generation.
const keyTtlMs = 24 * 60 * 60 * 1000;
const silenceMs = 1000;
const keyOf = (organizationId: string) => `revenue-api:generation:${organizationId}`;

/** Generations as one key per organization; values are random, so a key lost and made again never repeats one. */
export function redisWriteGenerations(redis: RedisConnection, options: RedisWriteGenerationsOptions): WriteGenerations {
  const deadline = createReplyDeadline(options.timeoutMs);
  // A write can wait longer than a read: what it does not record, other instances serve until
  // their pages expire.
  const advanceDeadline = createReplyDeadline(options.advanceTimeoutMs ?? 250);
  // After a read's reply did not come in time (a partition keeps the connection "ready"), reads do
  // not ask Redis again for a second: one read a second waits out the deadline, not every one.
  // Writes always ask.
  let silentUntil = 0;
  const silent = () => {
    silentUntil = performance.now() + silenceMs;
  };
  // A connection that is not ready fails every command at once (no offline queue); not asked at all.
  const ready = () => redis.status === "ready";

  return {
    async current(organizationId) {
      if (!ready() || performance.now() < silentUntil) return undefined;
      const key = keyOf(organizationId);
      try {
        const generation = await deadline(redis.get(key));
        if (generation !== null) return generation;
        // None yet, or it expired or was evicted: start one for later reads. NX, so that a write's
        // own generation set meanwhile is never overwritten; this read caches nothing.
        redis.set(key, crypto.randomUUID(), "PX", keyTtlMs, "NX").catch(() => {});
        return undefined;
      } catch (error) {
        if (error instanceof TimeoutError) silent();
        return undefined;
      }
    },

    async advance(organizationId) {
      if (!ready()) return false;
      try {
        await advanceDeadline(redis.set(keyOf(organizationId), crypto.randomUUID(), "PX", keyTtlMs));
        return true;
      } catch {
        return false;
      }
    },
  };
}
