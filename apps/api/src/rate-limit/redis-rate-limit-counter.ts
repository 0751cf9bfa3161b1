import { Redis } from 'ioredis';

/** What `ThrottlerStorage.increment` answers (times in whole seconds, as the throttler guard expects). */
export interface RateLimitRecord {
  totalHits: number;
  timeToExpire: number;
  isBlocked: boolean;
  timeToBlockExpire: number;
}

/**
 * One atomic step of a fixed-window counter with optional blocking, run inside Redis so that
 * every API process shares the same count (KEYS[1] = hits, KEYS[2] = block marker;
 * ARGV = window ms, limit, block ms). Same semantics as the throttler's in-memory storage:
 * - while blocked, a hit is refused and not counted;
 * - the hit that goes over the limit starts a block of `blockDuration`, and counting starts
 *   afresh once the block ends;
 * - with `blockDuration` 0 there is no block: hits over the limit are refused until the window ends.
 * Returns { hits, ms until the window ends, blocked 0/1, ms until the block ends }.
 */
const INCREMENT_SCRIPT = `
local hitsKey, blockKey = KEYS[1], KEYS[2]
local windowMs = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local blockMs = tonumber(ARGV[3])

local blockLeft = redis.call('PTTL', blockKey)
if blockLeft > 0 then
  return { limit + 1, blockLeft, 1, blockLeft }
end

local hits = redis.call('INCR', hitsKey)
local windowLeft = redis.call('PTTL', hitsKey)
if windowLeft < 0 then
  redis.call('PEXPIRE', hitsKey, windowMs)
  windowLeft = windowMs
end
if hits <= limit then
  return { hits, windowLeft, 0, 0 }
end
if blockMs > 0 then
  redis.call('SET', blockKey, '1', 'PX', blockMs)
  redis.call('DEL', hitsKey)
  return { hits, blockMs, 1, blockMs }
end
return { hits, windowLeft, 1, windowLeft }
`;

interface ScriptedRedis extends Redis {
  kalmaRateLimitIncrement(hitsKey: string, blockKey: string, windowMs: number, limit: number, blockMs: number): Promise<[number, number, number, number]>;
}

export interface RedisRateLimitCounterOptions {
  redisUrl: string;
  /** e.g. `kalma:ratelimit:`; keys are `<prefix>{<throttler>:<tracker>}:hits|block`. */
  keyPrefix: string;
  /** Called when a hit could not be counted (the hit is let through). */
  onRedisUnavailable(error: Error): void;
}

const toSeconds = (milliseconds: number): number => Math.max(0, Math.ceil(milliseconds / 1000));

/**
 * Rate-limit counters in Redis, shared by every API process. Kept free of Nest so it can be
 * tested on its own; `RedisThrottlerStorage` adapts it to the throttler.
 */
export class RedisRateLimitCounter {
  private readonly client: ScriptedRedis;

  constructor(private readonly options: RedisRateLimitCounterOptions) {
    // Fail fast rather than queue: a request must not wait on a Redis that is not there
    // (no offline queue, one attempt, and a short command timeout for a Redis that hangs).
    const client = new Redis(options.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2_000, commandTimeout: 500 });
    client.on('error', () => undefined); // surfaced through onRedisUnavailable when a hit fails, not on every reconnect attempt
    client.defineCommand('kalmaRateLimitIncrement', { numberOfKeys: 2, lua: INCREMENT_SCRIPT });
    this.client = client as ScriptedRedis;
  }

  /** `windowMs`, `blockMs` in milliseconds (as the throttler passes them); the answer in seconds. */
  async increment(tracker: string, windowMs: number, limit: number, blockMs: number, throttlerName: string): Promise<RateLimitRecord> {
    // The braces keep both keys of one tracker in one Redis Cluster slot, as a two-key script requires.
    const base = `${this.options.keyPrefix}{${throttlerName}:${tracker}}`;
    try {
      const [totalHits, windowLeft, blocked, blockLeft] = await this.client.kalmaRateLimitIncrement(`${base}:hits`, `${base}:block`, windowMs, limit, blockMs);
      return { totalHits, timeToExpire: toSeconds(windowLeft), isBlocked: blocked === 1, timeToBlockExpire: toSeconds(blockLeft) };
    } catch (error) {
      // Fail open: the limit protects the service from one noisy client, but refusing every
      // request because Redis is down would turn a Redis outage into a full booking outage
      // (bookings need only Postgres; jobs are re-found by the sweeps). So let the hit through.
      this.options.onRedisUnavailable(error as Error);
      return { totalHits: 0, timeToExpire: toSeconds(windowMs), isBlocked: false, timeToBlockExpire: 0 };
    }
  }

  close(): void {
    this.client.disconnect();
  }
}
