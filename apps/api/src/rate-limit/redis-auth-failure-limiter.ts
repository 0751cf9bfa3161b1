import { Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { AuthFailureLimiter } from '#libs/access';
import { AppConfig } from '#libs/config';
import { RATE_LIMIT_WINDOW_MS } from './rate-limit-window';
import { RedisThrottlerStorage } from './redis-throttler-storage';

/** Addresses over the limit this process remembers at most (an attack from many addresses must not grow memory without bound). */
const ADDRESSES_REMEMBERED = 10_000;

/**
 * `AUTH_FAILURES_PER_MINUTE` per client address, counted in Redis beside the per-key limits
 * (`<QUEUE_PREFIX>:ratelimit:{auth-failures:address:<ip>}:hits`), so the limit holds across
 * API processes. Only failures cost a Redis call; once Redis says an address is over, this
 * process refuses it until the window ends without asking again, and without reading the
 * database. Other processes learn it from their own next failure of that address, which Redis
 * already answers as over the limit. With Redis down, failures are not limited (a warning is
 * logged, as for the per-key limits).
 */
@Injectable()
export class RedisAuthFailureLimiter extends AuthFailureLimiter {
  /** Per address over the limit: refused until then (an entry lives as long as its block; the least recently used go first beyond the bound). */
  private readonly blockedUntil = new LRUCache<string, number>({ max: ADDRESSES_REMEMBERED });

  constructor(
    private readonly storage: RedisThrottlerStorage,
    private readonly config: AppConfig,
  ) {
    super();
  }

  blockedFor(address: string): number | undefined {
    const until = this.blockedUntil.get(address);
    if (until === undefined) return undefined;
    const left = until - performance.now(); // a block's time left: the monotonic clock
    return left > 0 ? Math.ceil(left / 1000) : undefined;
  }

  async recordFailure(address: string): Promise<number | undefined> {
    const record = await this.storage.increment(
      `address:${address}`,
      RATE_LIMIT_WINDOW_MS,
      this.config.AUTH_FAILURES_PER_MINUTE,
      0,
      'auth-failures',
    );
    if (!record.isBlocked) return undefined;
    const retryAfter = Math.max(1, record.timeToBlockExpire);
    this.blockedUntil.set(address, performance.now() + retryAfter * 1000, { ttl: retryAfter * 1000 });
    return retryAfter;
  }
}
