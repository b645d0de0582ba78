import type { RedisClient } from "bun";
import type { ReplyDeadline } from "../redis/deadline";
import type { Counter, RateLimitStore, StoreOutcome } from "./store";

/**
 * The counters of every request that arrived in one event-loop turn, in one atomic call, applied
 * request by request in arrival order (so two requests of one client in a batch count as two).
 * KEYS: every request's counters, concatenated. ARGV[1]: the number of requests; then, per
 * request, its counter count followed by max and window (ms) of each counter.
 * Per request: a first pass reads; when any counter is at its max nothing is written (a refused
 * request neither counts nor extends a window); otherwise each counter is incremented, a new one
 * created with its expiry (the window lives in Redis, not in any one process's clock).
 * Returns, per request, {allowed, count1, ttl1, count2, ttl2, ...}, concatenated.
 */
const consumeScript = `
local out = {}
local k = 0
local a = 2
for r = 1, tonumber(ARGV[1]) do
  local n = tonumber(ARGV[a])
  a = a + 1
  local allowed = 1
  local counts, ttls = {}, {}
  for i = 1, n do
    local key = KEYS[k + i]
    local max = tonumber(ARGV[a + 2 * i - 2])
    local window = tonumber(ARGV[a + 2 * i - 1])
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
  end
  if allowed == 1 then
    for i = 1, n do
      if counts[i] == 0 then
        redis.call('SET', KEYS[k + i], 1, 'PX', ttls[i])
        counts[i] = 1
      else
        counts[i] = redis.call('INCR', KEYS[k + i])
      end
    end
  end
  out[#out + 1] = allowed
  for i = 1, n do
    out[#out + 1] = counts[i]
    out[#out + 1] = ttls[i]
  end
  k = k + n
  a = a + 2 * n
end
return out
`;

// Bounds one script's run time in Redis (each request is a few commands).
const maxBatch = 256;

interface Waiting {
  counters: Counter[];
  resolve: (outcome: StoreOutcome) => void;
  reject: (error: unknown) => void;
}

/**
 * Counters shared by every instance through Redis. Requests that arrive in the same event-loop turn
 * share one script call: under load that turns a round trip per request (socket write, command
 * encoding, reply parsing) into one per batch. The reply deadline is per batch too, so a waiting
 * request costs one Promise and nothing else. Every key of a batch goes to one Redis, so this
 * store is for a single Redis, not Redis Cluster.
 */
export function createRedisStore(client: RedisClient, deadline: ReplyDeadline): RateLimitStore {
  let sha: string | undefined;
  // EVALSHA, loading the script first when this connection has not yet, or Redis lost it (restart).
  const consume = async (args: string[]): Promise<unknown[]> => {
    if (sha !== undefined) {
      try {
        return (await client.send("EVALSHA", [sha, ...args])) as unknown[];
      } catch (error) {
        if (!(error instanceof Error && error.message.includes("NOSCRIPT"))) throw error;
      }
    }
    sha = (await client.send("SCRIPT", ["LOAD", consumeScript])) as string;
    return (await client.send("EVALSHA", [sha, ...args])) as unknown[];
  };
  let queue: Waiting[] = [];
  let scheduled = false;

  const send = (batch: Waiting[]) => {
    const keys: string[] = [];
    const args: string[] = [String(batch.length)];
    for (const { counters } of batch) {
      args.push(String(counters.length));
      for (const c of counters) {
        keys.push(c.key);
        args.push(String(c.max), String(c.windowMs));
      }
    }
    deadline(consume([String(keys.length), ...keys, ...args])).then(
      (reply) => {
        const now = Date.now();
        let at = 0;
        for (const waiting of batch) {
          const allowed = Number(reply[at++]) === 1;
          const states = waiting.counters.map(() => {
            const count = Number(reply[at++]);
            return { count, resetAtMs: now + Number(reply[at++]) };
          });
          waiting.resolve({ allowed, states });
        }
      },
      (error) => {
        for (const waiting of batch) waiting.reject(error);
      },
    );
  };

  const flush = () => {
    scheduled = false;
    const all = queue;
    queue = [];
    for (let i = 0; i < all.length; i += maxBatch) send(all.slice(i, i + maxBatch));
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
  };
}
