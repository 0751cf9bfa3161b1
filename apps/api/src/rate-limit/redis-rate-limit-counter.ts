import { LRUCache } from 'lru-cache';
import { createRedisClient, RedisClient, RedisSettings } from '#libs/jobs';

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
 * ARGV = window ms, limit, block ms, hits wanted). Same semantics as the throttler's in-memory
 * storage:
 * - while blocked, a hit is refused and not counted;
 * - the hit that goes over the limit starts a block of `blockDuration`, and counting starts
 *   afresh once the block ends;
 * - with `blockDuration` 0 there is no block: hits over the limit are refused until the window ends.
 * A caller may take several hits at once (a lease, see `leaseSizeFor`): it is granted as many
 * as fit under the limit, at least the one it is making.
 * Returns { hits counted so far, ms until the window ends, blocked 0/1, ms until the block ends, hits granted }.
 */
const INCREMENT_SCRIPT = `
local hitsKey, blockKey = KEYS[1], KEYS[2]
local windowMs = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local blockMs = tonumber(ARGV[3])
local wanted = tonumber(ARGV[4])

local blockLeft = redis.call('PTTL', blockKey)
if blockLeft > 0 then
  return { limit + 1, blockLeft, 1, blockLeft, 0 }
end

local counted = tonumber(redis.call('GET', hitsKey) or '0')
local granted = math.max(1, math.min(wanted, limit - counted))
local hits = redis.call('INCRBY', hitsKey, granted)
local windowLeft = redis.call('PTTL', hitsKey)
if windowLeft < 0 then
  redis.call('PEXPIRE', hitsKey, windowMs)
  windowLeft = windowMs
end
if hits <= limit then
  return { hits, windowLeft, 0, 0, granted }
end
if blockMs > 0 then
  redis.call('SET', blockKey, '1', 'PX', blockMs)
  redis.call('DEL', hitsKey)
  return { hits, blockMs, 1, blockMs, 0 }
end
return { hits, windowLeft, 1, windowLeft, 0 }
`;

/** Share of a key's limit one process may take from Redis at once. */
const LEASE_SHARE_OF_LIMIT = 0.01;
const MAX_LEASE_SIZE = 100;

/**
 * How many hits one call to Redis takes for a key: 1 % of its limit (at most 100, at least 1).
 * The process then counts that many hits in memory, so a busy key costs Redis one call per
 * lease rather than one per request. Across processes the limit still holds exactly (a lease
 * is only granted under it); what a lease costs is that up to 1 % of a key's limit per process
 * may sit unused in one process while another is already refusing. Limits under 200 a window
 * get leases of 1: every hit is counted in Redis, as without leases.
 */
export function leaseSizeFor(limit: number): number {
  return Math.max(1, Math.min(MAX_LEASE_SIZE, Math.floor(limit * LEASE_SHARE_OF_LIMIT)));
}

/** Hits taken from Redis and not yet used: hit numbers `next`..`last` of the window ending at `windowEndsAt`. */
interface Lease {
  next: number;
  last: number;
  windowEndsAt: number;
}

/** Keys whose lease or refusal a process remembers at most (beyond, the least recently used are forgotten: nothing is lost but a few leased hits). */
const KEYS_REMEMBERED = 10_000;

interface RateLimitScript {
  kalmaRateLimitIncrement(
    hitsKey: string,
    blockKey: string,
    windowMs: number,
    limit: number,
    blockMs: number,
    wanted: number,
  ): Promise<[number, number, number, number, number]>;
}

type ScriptedRedis = RedisClient & RateLimitScript;

export interface RedisRateLimitCounterOptions {
  /** REDIS_URL, or REDIS_CLUSTER_NODES for a cluster. */
  redis: RedisSettings;
  /**
   * e.g. `kalma:ratelimit:`; keys are `<prefix>{<throttler>:<tracker>}:hits|block`: on a cluster,
   * the braces put both keys of one tracker in one slot, and spread trackers over the nodes.
   */
  keyPrefix: string;
  /** Called when a hit could not be counted (the hit is let through). */
  onRedisUnavailable(error: Error): void;
}

const toSeconds = (milliseconds: number): number => Math.max(0, Math.ceil(milliseconds / 1000));

/** The answer when Redis could not count a hit: let it through (see `askRedis`). */
const letThrough = (windowMs: number): RateLimitRecord => ({
  totalHits: 0,
  timeToExpire: toSeconds(windowMs),
  isBlocked: false,
  timeToBlockExpire: 0,
});

/**
 * Rate-limit counters in Redis, shared by every API process. Kept free of Nest so it can be
 * tested on its own; `RedisThrottlerStorage` adapts it to the throttler.
 */
export class RedisRateLimitCounter {
  private readonly client: ScriptedRedis;
  /** Per key: hits leased from Redis and not yet used. */
  private readonly leases = new LRUCache<string, Lease>({ max: KEYS_REMEMBERED });
  /** Per key: refused (by Redis) until then; later hits are refused here without asking again. */
  private readonly refusals = new LRUCache<string, { until: number; totalHits: number }>({ max: KEYS_REMEMBERED });
  /** Per key: the call to Redis in flight (true once Redis answered it), which concurrent requests for that key wait for. */
  private readonly inFlight = new Map<string, Promise<boolean>>();

  constructor(private readonly options: RedisRateLimitCounterOptions) {
    // Fail fast rather than queue: a request must not wait on a Redis that is not there
    // (no offline queue, one attempt, and a short command timeout for a Redis that hangs).
    const client = createRedisClient(options.redis, {
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      connectTimeout: 2_000,
      commandTimeout: 500,
    });
    client.on('error', () => undefined); // surfaced through onRedisUnavailable when a hit fails, not on every reconnect attempt
    client.defineCommand('kalmaRateLimitIncrement', { numberOfKeys: 2, lua: INCREMENT_SCRIPT });
    this.client = client as ScriptedRedis;
  }

  /** `windowMs`, `blockMs` in milliseconds (as the throttler passes them); the answer in seconds. */
  async increment(tracker: string, windowMs: number, limit: number, blockMs: number, throttlerName: string): Promise<RateLimitRecord> {
    // The braces keep both keys of one tracker in one Redis Cluster slot, as a two-key script
    // requires (a QUEUE_PREFIX with braces of its own puts every tracker in that one slot).
    const base = `${this.options.keyPrefix}{${throttlerName}:${tracker}}`;
    const leaseSize = leaseSizeFor(limit);
    if (leaseSize === 1) return (await this.askRedis(base, windowMs, limit, blockMs, 1)).record;
    // One call to Redis per key at a time: requests that arrive meanwhile wait for its lease
    // instead of each taking (and mostly stranding) one of their own. If that call failed, they
    // fail open with it rather than queue behind one another's timeouts.
    for (;;) {
      const local = this.answerLocally(base);
      if (local) return local;
      const pending = this.inFlight.get(base);
      if (!pending) break;
      if (!(await pending)) return letThrough(windowMs);
    }
    const asked = this.askRedis(base, windowMs, limit, blockMs, leaseSize);
    const settled = asked.then(({ redisAnswered }) => redisAnswered);
    this.inFlight.set(base, settled);
    void settled.then(() => {
      if (this.inFlight.get(base) === settled) this.inFlight.delete(base);
    });
    return (await asked).record;
  }

  /** One step of the script; `redisAnswered` is false when the hit was let through because Redis could not count it. */
  private async askRedis(
    base: string,
    windowMs: number,
    limit: number,
    blockMs: number,
    leaseSize: number,
  ): Promise<{ record: RateLimitRecord; redisAnswered: boolean }> {
    try {
      const [totalHits, windowLeft, blocked, blockLeft, granted] = await this.client.kalmaRateLimitIncrement(
        `${base}:hits`,
        `${base}:block`,
        windowMs,
        limit,
        blockMs,
        leaseSize,
      );
      if (blocked === 1) {
        if (leaseSize > 1) this.refusals.set(base, { until: performance.now() + blockLeft, totalHits });
        return {
          record: { totalHits, timeToExpire: toSeconds(windowLeft), isBlocked: true, timeToBlockExpire: toSeconds(blockLeft) },
          redisAnswered: true,
        };
      }
      // This hit is the first of those granted; the rest are kept for the next requests.
      const firstHit = totalHits - granted + 1;
      if (granted > 1) this.leases.set(base, { next: firstHit + 1, last: totalHits, windowEndsAt: performance.now() + windowLeft });
      return {
        record: { totalHits: firstHit, timeToExpire: toSeconds(windowLeft), isBlocked: false, timeToBlockExpire: 0 },
        redisAnswered: true,
      };
    } catch (error) {
      // Fail open: the limit protects the service from one noisy client, but refusing every
      // request because Redis is down would turn a Redis outage into a full booking outage
      // (bookings need only Postgres; jobs are re-found by the sweeps). So let the hit through.
      this.options.onRedisUnavailable(error as Error);
      return { record: letThrough(windowMs), redisAnswered: false };
    }
  }

  /** A hit from the key's lease, or its refusal while Redis said it is over the limit; else undefined. */
  private answerLocally(base: string): RateLimitRecord | undefined {
    // Refusals and leases end after Redis's time left (PTTL): timeouts, on the monotonic clock.
    const now = performance.now();
    const refusal = this.refusals.get(base);
    if (refusal && now < refusal.until) {
      const left = toSeconds(refusal.until - now);
      return { totalHits: refusal.totalHits, timeToExpire: left, isBlocked: true, timeToBlockExpire: left };
    }
    const lease = this.leases.get(base);
    if (!lease || lease.next > lease.last || now >= lease.windowEndsAt) return undefined;
    const hit = lease.next++;
    return { totalHits: hit, timeToExpire: toSeconds(lease.windowEndsAt - now), isBlocked: false, timeToBlockExpire: 0 };
  }

  close(): void {
    this.client.disconnect();
  }
}
