import type Redis from "ioredis";
import type { Counter, RateLimitStore, StoreOutcome } from "./store";

/**
 * All counters of one request in one atomic call. KEYS: the counters; ARGV: max and window (ms) of
 * each, in pairs. First pass reads; when any counter is at its max the script writes nothing (a
 * refused request neither counts nor extends a window). Otherwise each counter is incremented, a
 * new one created with its expiry: the window lives in Redis, not in any one process's clock.
 * Returns {allowed, count1, ttl1, count2, ttl2, ...}.
 */
const consumeScript = `
local allowed = 1
local counts, ttls = {}, {}
for i = 1, #KEYS do
  local max = tonumber(ARGV[2 * i - 1])
  local window = tonumber(ARGV[2 * i])
  local ttl = redis.call('PTTL', KEYS[i])
  local count = 0
  if ttl == -2 then
    ttl = window
  else
    count = tonumber(redis.call('GET', KEYS[i]) or '0') or 0
    if ttl == -1 then
      redis.call('PEXPIRE', KEYS[i], window)
      ttl = window
    end
  end
  if count >= max then allowed = 0 end
  counts[i] = count
  ttls[i] = ttl
end
if allowed == 1 then
  for i = 1, #KEYS do
    if counts[i] == 0 then
      redis.call('SET', KEYS[i], 1, 'PX', ttls[i])
      counts[i] = 1
    else
      counts[i] = redis.call('INCR', KEYS[i])
    end
  end
end
local out = { allowed }
for i = 1, #KEYS do
  out[#out + 1] = counts[i]
  out[#out + 1] = ttls[i]
end
return out
`;

const command = "rateLimitConsume";

type ConsumeCommand = (keyCount: number, ...keysAndArgs: Array<string | number>) => Promise<number[]>;

/** Counters shared by every instance through Redis; one script call per request, whatever the policy count. */
export function createRedisStore(redis: Redis): RateLimitStore {
  if (!(command in redis)) redis.defineCommand(command, { lua: consumeScript });
  const consume = (redis as unknown as Record<typeof command, ConsumeCommand>)[command].bind(redis);

  return {
    async consume(counters: Counter[]): Promise<StoreOutcome> {
      const args = counters.flatMap((c) => [c.max, c.windowMs]);
      const reply = await consume(counters.length, ...counters.map((c) => c.key), ...args);
      const now = Date.now();
      return {
        allowed: Number(reply[0]) === 1,
        states: counters.map((_, i) => ({
          count: Number(reply[1 + 2 * i]),
          resetAtMs: now + Number(reply[2 + 2 * i]),
        })),
      };
    },
  };
}
