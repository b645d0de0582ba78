import type { Config } from "../config";
import type { Logger } from "../observability/logger";
import type { RedisConnection } from "../redis/client";
import { createReplyDeadline } from "../redis/deadline";
import { createBlockedKeys } from "./blocked-keys";
import { decision, type PolicyState, policyState, policyStateOf, type RateDecision } from "./decision";
import { createLeases, type Leased, type Leases } from "./leases";
import { createMemoryStore } from "./memory-store";
import { type Policy, type PolicyName, policiesFrom } from "./policies";
import { createRedisStore, hashTag } from "./redis-store";
import { type Counter, type CounterState, noWindowId, type StoreOutcome } from "./store";
import { createStoreKeys } from "./store-keys";

export type { PolicyState, RateDecision } from "./decision";

export type StoreState = "redis" | "memory";

export interface RateLimiter {
  /**
   * Counts one request of `key` against every policy given (at least one), all or nothing. Never
   * fails for want of Redis: it counts in memory instead.
   */
  consume(key: string, policies: readonly PolicyName[]): Promise<RateDecision>;
  /** Where counts live right now: "memory" without Redis, or while Redis is unreachable. */
  storeState(): StoreState;
  /** Gives unused leases back and stops timers; the Redis connection belongs to the caller. */
  close(): Promise<void>;
}

export interface RateLimiterOptions {
  config: Pick<Config, "rateLimits" | "rateLimitPrefix" | "env"> &
    Partial<Pick<Config, "rateLimitLeasing" | "rateLimitRedisTimeoutMs">>;
  /** The limiter's own connection (createCounterRedis); the caller connects and closes it. */
  redis?: RedisConnection;
  logger: Logger;
  /** Key prefix in Redis; defaults to RATE_LIMIT_PREFIX. */
  prefix?: string;
  /** How often to look for Redis again while counting in memory. */
  probeIntervalMs?: number;
  /** How long a request waits for Redis before it is counted in memory instead (RATE_LIMIT_REDIS_TIMEOUT_MS). */
  redisTimeoutMs?: number;
}

const reclaimIntervalMs = 1000;

/**
 * Fixed-window limits per client, shared through Redis when there is one. Busy keys are admitted
 * from leases (./leases.ts), slices of their quota taken from Redis ahead of use. While Redis is
 * unreachable, counts continue in this process's memory (each instance then allows the full
 * limit) and requests keep being served; when Redis answers again, its counts are used again.
 */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const { redis, logger } = options;
  const policies = policiesFrom(options.config);
  const prefix = options.prefix ?? options.config.rateLimitPrefix;
  const memory = createMemoryStore();
  const blocked = createBlockedKeys();
  const deadline = createReplyDeadline(options.redisTimeoutMs ?? options.config.rateLimitRedisTimeoutMs ?? 50);
  const shared = redis ? createRedisStore(redis, deadline) : undefined;
  // Dropped (undefined) for good when Redis turns out to have no PEXPIRETIME: see stopLeasing.
  let leases = shared && options.config.rateLimitLeasing !== false ? createLeases() : undefined;
  const storeKeys = createStoreKeys(prefix);
  let state: StoreState = redis ? "redis" : "memory";
  let probe: ReturnType<typeof setInterval> | undefined;
  let closed = false;
  // A key in the slot of the call that failed: the probe asks the very node (in a Cluster, the
  // slot's master) that failed.
  let probeKey = `${prefix}probe`;

  if (!redis && options.config.env === "production") {
    logger.warn("REDIS_URL is not set: rate limits are counted per process, so each instance allows the full limit");
  }

  const giveBack = (all: boolean) => {
    if (!leases || !shared || state !== "redis") return Promise.resolve();
    const unused = leases.reclaim(all);
    // Best effort: a lease not given back expires with its window.
    return Promise.all(unused.map((u) => shared.release(u.key, u.count, u.windowId).catch(() => undefined)));
  };
  const reclaim = leases ? setInterval(() => void giveBack(false), reclaimIntervalMs) : undefined;
  reclaim?.unref();

  /**
   * A slice is given back only to the window it came from, its PEXPIRETIME, which Redis has from 7.0
   * on. Without it (a check at connection, or a grant that came back without its window) leasing
   * stops and every request is counted in Redis, as with RATE_LIMIT_LEASING=false.
   */
  const stopLeasing = () => {
    if (!leases) return;
    leases = undefined;
    clearInterval(reclaim);
    logger.warn(
      "rate limiter: Redis has no PEXPIRETIME (Redis before 7), leasing is off: every request is counted in Redis",
    );
  };
  // Asked at every (re)connection, before the first grant when it answers in time: a failover may
  // land on another version.
  const checkLeasing = () => {
    if (!leases || !redis) return;
    redis.call("PEXPIRETIME", probeKey).then(
      () => {},
      (error: unknown) => {
        if (lacksCommand(error)) stopLeasing();
      },
    );
  };
  if (leases && redis) {
    redis.on("ready", checkLeasing);
    if (redis.status === "ready") checkLeasing();
  }

  const fallBack = (reason: string, key: string) => {
    if (state === "memory" || !redis || closed) return;
    state = "memory";
    probeKey = `${prefix}probe:{${hashTag(key)}}`;
    logger.warn("rate limiter: Redis unavailable, counting in process memory", { reason });
    probe = setInterval(() => void lookForRedis(), options.probeIntervalMs ?? 500);
    probe.unref();
  };
  let probing = false;
  const lookForRedis = async () => {
    if (!redis || probing) return;
    probing = true;
    try {
      // A write, as counting is: a Redis that answers reads but refuses writes (out of memory
      // under noeviction, a read-only replica) is not back, and a read would flap between the two.
      await deadline(redis.set(probeKey, "1", "PX", 1000));
      if (state === "memory" && !closed) {
        state = "redis";
        clearInterval(probe);
        logger.info("rate limiter: Redis answers again, counting in Redis");
      }
    } catch {
      // Still down: the next tick tries again (ioredis reconnects, and in a Cluster finds the new master).
    } finally {
      probing = false;
    }
  };
  if (redis && redis.status !== "ready") fallBack("not connected", probeKey);

  /** The outcome, and whether it came from Redis (only Redis's counts block a key fleet-wide). */
  const count = async (counters: Counter[]): Promise<[StoreOutcome, boolean]> => {
    if (!shared || state === "memory") return [await memory.consume(counters), false];
    try {
      return [await shared.consume(counters), true];
    } catch (error) {
      fallBack(error instanceof Error ? error.message : String(error), (counters[0] as Counter).key);
      return [await memory.consume(counters), false];
    }
  };

  /**
   * The common case without an array, Set, closure or store key built: one policy or two, no key
   * blocked, every key admitted from its lease. undefined when that is not so and nothing was done
   * yet (a key blocked); otherwise whatever `counted` decides with what was taken.
   */
  const consumeLeased = (
    leases: Leases,
    key: string,
    first: Policy,
    second: Policy | undefined,
  ): RateDecision | Promise<RateDecision> | undefined => {
    const firstKey = storeKeys.of(key, first.name);
    const secondKey = second ? storeKeys.of(key, second.name) : undefined;
    if (blocked.blockedUntil(firstKey) !== undefined) return undefined;
    if (secondKey !== undefined && blocked.blockedUntil(secondKey) !== undefined) return undefined;
    const now = Date.now();
    const firstTaken = leases.take(firstKey, now);
    if (!second || secondKey === undefined) {
      if (firstTaken) return decision(true, [leasedState(first, firstTaken, now)]);
      return counted([first], [firstKey], [firstTaken], now);
    }
    const secondTaken = leases.take(secondKey, now);
    if (firstTaken && secondTaken) {
      return decision(true, [leasedState(first, firstTaken, now), leasedState(second, secondTaken, now)]);
    }
    return counted([first, second], [firstKey, secondKey], [firstTaken, secondTaken], now);
  };

  /** Any number of policies, any state: the blocked keys, then leases, then the store. */
  const consumeAny = async (key: string, names: readonly PolicyName[]): Promise<RateDecision> => {
    const ours = leases;
    const applied: Policy[] = [...new Set(names)].map((name) => policies[name]);
    const keys = applied.map((p) => storeKeys.of(key, p.name));
    const now = Date.now();
    const exhausted = exhaustion(applied, keys, now);
    if (exhausted.length > 0) return decision(false, exhausted);
    // Busy keys: admitted from this instance's lease while it lasts.
    const taken: Array<Leased | undefined> = ours ? keys.map((k) => ours.take(k, now)) : [];
    if (ours && taken.every(Boolean)) return allLeased(applied, taken, now);
    return counted(applied, keys, taken, now);
  };

  // Exhausted keys are refused from memory until their window ends: no Redis call.
  const exhaustion = (applied: readonly Policy[], keys: readonly string[], time: number) =>
    keys.flatMap((k, i) => {
      const until = blocked.blockedUntil(k);
      if (until === undefined) return [];
      const p = applied[i] as Policy;
      return [policyState(p, { count: p.max, resetAtMs: until }, false, time)];
    });
  const allLeased = (applied: readonly Policy[], taken: Array<Leased | undefined>, time: number) =>
    decision(
      true,
      applied.map((p, i) => leasedState(p, taken[i] as Leased, time)),
    );

  /** The rest of a request whose keys were not all leased: wait for a slice on its way, or ask the store. */
  const counted = async (
    applied: readonly Policy[],
    keys: readonly string[],
    taken: Array<Leased | undefined>,
    now: number,
  ): Promise<RateDecision> => {
    // This request's leases throughout, even if leasing stops while it waits: its slice on its way
    // is still settled (or its waiters would wait forever).
    const ours = leases;
    // A slice on its way: wait for it rather than count this request in Redis by itself.
    const slices = ours ? keys.flatMap((k, i) => (taken[i] ? [] : (ours.sliceOnItsWay(k) ?? []))) : [];
    if (ours && slices.length > 0) {
      await Promise.all(slices);
      const time = Date.now();
      const blockedNow = exhaustion(applied, keys, time);
      if (blockedNow.length > 0) {
        taken.forEach((t, i) => {
          if (t) ours.putBack(keys[i] as string, t);
        });
        return decision(false, blockedNow);
      }
      keys.forEach((k, i) => {
        taken[i] ??= ours.take(k, time, false);
      });
      if (taken.every(Boolean)) return allLeased(applied, taken, now);
    }

    const asked: number[] = [];
    const counters: Counter[] = [];
    applied.forEach((p, i) => {
      if (taken[i]) return;
      const k = keys[i] as string;
      asked.push(i);
      // `leases`, not `ours`: no new slice is asked for once leasing has stopped.
      counters.push({ key: k, max: p.max, windowMs: p.windowMs, extra: leases?.want(k, now) });
    });
    const [outcome, fromRedis] = await count(counters);
    const after = Date.now();
    const states = new Map<number, CounterState>();
    asked.forEach((i, j) => {
      const s = outcome.states[j] as CounterState;
      const k = keys[i] as string;
      if (s.windowId === noWindowId) stopLeasing();
      ours?.settle(k, outcome.allowed ? s : undefined);
      // Positions beyond this request's are the lease: this request is the first of them.
      const position = s.count - (s.granted ?? 1) + 1;
      states.set(i, { count: outcome.allowed ? position : s.count, resetAtMs: s.resetAtMs });
      if (fromRedis && s.count >= (applied[i] as Policy).max && !ours?.holds(k)) blocked.block(k, s.resetAtMs);
    });
    if (!outcome.allowed) {
      taken.forEach((t, i) => {
        if (t) ours?.putBack(keys[i] as string, t);
      });
    }
    return decision(
      outcome.allowed,
      applied.map((p, i) => {
        const s = states.get(i);
        if (s) return policyState(p, s, outcome.allowed, after);
        const t = taken[i] as Leased;
        // Not counted after all (put back) when refused: it shows the count before it.
        if (!outcome.allowed) return policyState(p, { count: t.position - 1, resetAtMs: t.resetAtMs }, false, after);
        return leasedState(p, t, now);
      }),
    );
  };

  return {
    async consume(key, names) {
      if (leases && (names.length === 1 || names.length === 2)) {
        const first = policies[names[0] as PolicyName];
        const second = names.length === 2 && names[1] !== names[0] ? policies[names[1] as PolicyName] : undefined;
        const leased = consumeLeased(leases, key, first, second);
        if (leased) return leased;
      }
      return consumeAny(key, names);
    },
    storeState: () => state,
    async close() {
      redis?.off("ready", checkLeasing);
      clearInterval(reclaim);
      await giveBack(true);
      closed = true;
      clearInterval(probe);
      memory.close();
    },
  };
}

/** What a policy says about a request admitted from a lease: its position is its count. */
/** A Redis without the command a script or a call used: "unknown command" in Redis 6 and 7 alike. */
function lacksCommand(error: unknown): boolean {
  return error instanceof Error && /unknown (redis )?command/i.test(error.message);
}

function leasedState(policy: Policy, taken: Leased, now: number): PolicyState {
  return policyStateOf(policy, taken.position, taken.resetAtMs, true, now);
}
