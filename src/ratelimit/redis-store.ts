import type { RedisConnection } from "../redis/client";
import type { ReplyDeadline } from "../redis/deadline";
import type { Counter, RateLimitStore, StoreOutcome } from "./store";

/**
 * The counters of several requests in one atomic call, applied request by request in arrival order
 * (so two requests of one client in a batch count as two).
 * KEYS: every request's counters, concatenated. ARGV[1]: the number of requests; then, per
 * request, its counter count followed by max, window (ms) and extra (lease wanted) of each counter.
 * Per request: a first pass reads; when any counter is at its max nothing is written (a refused
 * request neither counts nor extends a window); otherwise each counter is incremented by 1 plus
 * its lease, a new one created with its expiry (the window lives in Redis, not in any one
 * process's clock). A lease is at most an eighth of what is left above half the limit after this
 * request: it shrinks with the remaining quota, the leases of all instances never exceed the
 * limit, and the second half of every window is counted request by request, exactly, so an
 * instance whose traffic stops cannot strand quota that another instance then refuses.
 * Returns, per request, {allowed, count1, ttl1, granted1, window1, ...}, concatenated; `window`
 * (the key's PEXPIRETIME) only when a lease was granted, else 0; -1 when this Redis has no
 * PEXPIRETIME (before 7).
 */
const consumeScript = `
local out = {}
local k = 0
local a = 2
for r = 1, tonumber(ARGV[1]) do
  local n = tonumber(ARGV[a])
  a = a + 1
  local allowed = 1
  local counts, ttls, grants, windows = {}, {}, {}, {}
  for i = 1, n do
    local key = KEYS[k + i]
    local max = tonumber(ARGV[a + 3 * i - 3])
    local window = tonumber(ARGV[a + 3 * i - 2])
    local ttl = redis.call('PTTL', key)
    local count = 0
    if ttl == -2 then
      ttl = window
    else
      count = tonumber(redis.call('GET', key) or '0') or 0
      if ttl == -1 then
        redis.call('PEXPIRE', key, window)
        ttl = window
      end
    end
    if count >= max then allowed = 0 end
    counts[i] = count
    ttls[i] = ttl
    grants[i] = 0
    windows[i] = 0
  end
  if allowed == 1 then
    for i = 1, n do
      local max = tonumber(ARGV[a + 3 * i - 3])
      local extra = tonumber(ARGV[a + 3 * i - 1])
      local grant = 1
      if extra > 0 then grant = 1 + math.max(0, math.min(extra, math.floor((max - counts[i] - 1 - max / 2) / 8))) end
      if counts[i] == 0 then
        redis.call('SET', KEYS[k + i], grant, 'PX', ttls[i])
        counts[i] = grant
      elseif grant == 1 then
        counts[i] = redis.call('INCR', KEYS[k + i])
      else
        counts[i] = redis.call('INCRBY', KEYS[k + i], grant)
      end
      grants[i] = grant
      if grant > 1 then
        -- pcall: a Redis before 7 has no PEXPIRETIME, and a failed call would end the script with
        -- the counts above already written. -1 says so; the slice stays counted and granted.
        local expiry = redis.pcall('PEXPIRETIME', KEYS[k + i])
        if type(expiry) == 'table' then windows[i] = -1 else windows[i] = expiry end
      end
    end
  end
  out[#out + 1] = allowed
  for i = 1, n do
    out[#out + 1] = counts[i]
    out[#out + 1] = ttls[i]
    out[#out + 1] = grants[i]
    out[#out + 1] = windows[i]
  end
  k = k + n
  a = a + 3 * n
end
return out
`;

/**
 * Gives an unused lease back: KEYS[1] the counter, ARGV[1] how many, ARGV[2] the window they were
 * leased in (PEXPIRETIME). A counter of a later window keeps its count.
 */
const releaseScript = `
if redis.call('PEXPIRETIME', KEYS[1]) ~= tonumber(ARGV[2]) then return 0 end
local count = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
local back = math.min(tonumber(ARGV[1]), count)
if back > 0 then redis.call('DECRBY', KEYS[1], back) end
return back
`;

// Bounds one script's run time in Redis (each request is a few commands).
const maxBatch = 256;

interface Waiting {
  counters: Counter[];
  resolve: (outcome: StoreOutcome) => void;
  reject: (error: unknown) => void;
}

/**
 * Runs a script by its SHA1, sending its text once where Redis does not have it (a new node, a
 * restart, SCRIPT FLUSH). Sent as plain EVALSHA/EVAL so that ioredis finds the first key, routes the
 * call to the node of its slot, and auto-pipelines calls to one node together (a script defined
 * with defineCommand and a variable key count is routed by its key count, which breaks both).
 */
function scriptRunner(connection: RedisConnection, lua: string) {
  const sha = new Bun.CryptoHasher("sha1").update(lua).digest("hex");
  return async (keys: string[], args: Array<string | number>): Promise<unknown> => {
    try {
      return await connection.call("EVALSHA", sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error && error.message.includes("NOSCRIPT"))) throw error;
      return connection.call("EVAL", lua, keys.length, ...keys, ...args);
    }
  };
}

export interface RedisStore extends RateLimitStore {
  /** Gives `count` leased but unused requests of `key` back to the window `windowId`. */
  release(key: string, count: number, windowId: number): Promise<void>;
}

/**
 * Counters shared by every instance through Redis. Requests that arrive in the same event-loop turn
 * share one script call: under load that turns a round trip per request (socket write, command
 * encoding, reply parsing) into one per batch. The reply deadline is per batch too, so a waiting
 * request costs one Promise and nothing else. In a Redis Cluster a script may only touch keys of
 * one slot, so a batch is split by hash tag (one client's keys share a tag); ioredis sends the
 * calls of one turn to a node in one write, and follows MOVED/ASK and failovers itself.
 */
export function createRedisStore(connection: RedisConnection, deadline: ReplyDeadline): RedisStore {
  const consumeCall = scriptRunner(connection, consumeScript);
  const releaseCall = scriptRunner(connection, releaseScript);
  const perTag = connection.isCluster;
  let queue: Waiting[] = [];
  let scheduled = false;

  const send = (batch: Waiting[]) => {
    const keys: string[] = [];
    const args: Array<string | number> = [batch.length];
    for (const { counters } of batch) {
      args.push(counters.length);
      for (const c of counters) {
        keys.push(c.key);
        args.push(c.max, c.windowMs, c.extra ?? 0);
      }
    }
    const sentAt = Date.now();
    deadline(consumeCall(keys, args) as Promise<unknown[]>).then(
      (reply) => {
        let at = 0;
        for (const waiting of batch) {
          const allowed = Number(reply[at++]) === 1;
          const states = waiting.counters.map(() => {
            const count = Number(reply[at++]);
            // From the time it was sent: never later than the window's real end.
            const resetAtMs = sentAt + Number(reply[at++]);
            const granted = Number(reply[at++]);
            const windowId = Number(reply[at++]);
            return { count, resetAtMs, granted, windowId };
          });
          waiting.resolve({ allowed, states });
        }
      },
      (error) => {
        for (const waiting of batch) waiting.reject(error);
      },
    );
  };

  const sendAll = (all: Waiting[]) => {
    for (let i = 0; i < all.length; i += maxBatch) send(all.slice(i, i + maxBatch));
  };

  const flush = () => {
    scheduled = false;
    const all = queue;
    queue = [];
    if (!perTag) return sendAll(all);
    const byTag = new Map<string, Waiting[]>();
    for (const waiting of all) {
      const tag = hashTag((waiting.counters[0] as Counter).key);
      const group = byTag.get(tag);
      if (group) group.push(waiting);
      else byTag.set(tag, [waiting]);
    }
    for (const group of byTag.values()) sendAll(group);
  };

  return {
    consume(counters: Counter[]): Promise<StoreOutcome> {
      return new Promise((resolve, reject) => {
        queue.push({ counters, resolve, reject });
        if (!scheduled) {
          scheduled = true;
          setImmediate(flush);
        }
      });
    },
    async release(key, count, windowId) {
      await deadline(releaseCall([key], [count, windowId]));
    },
  };
}

/** What Redis Cluster hashes: the text inside the first {…} when there is one, else the key. */
export function hashTag(key: string): string {
  const open = key.indexOf("{");
  if (open === -1) return key;
  const close = key.indexOf("}", open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : key;
}
