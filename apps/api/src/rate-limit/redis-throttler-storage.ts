import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import { AppConfig } from '#libs/config';
import { rateLimitedWarning } from '#libs/observability';
import { RateLimitRecord, RedisRateLimitCounter } from './redis-rate-limit-counter';

/** How often the "Redis is down, not limiting" warning may repeat: once per outage is enough to see it. */
const FAIL_OPEN_WARNING_INTERVAL_MS = 30_000;

/**
 * `ThrottlerStorage` on Redis, so a key's limit holds across every API process. Counters live
 * under `<QUEUE_PREFIX>:ratelimit:`. When Redis is unreachable, requests are let through and a
 * warning is logged (see `RedisRateLimitCounter.increment` for why).
 */
@Injectable()
export class RedisThrottlerStorage implements ThrottlerStorage, OnApplicationShutdown {
  private readonly counter: RedisRateLimitCounter;

  constructor(config: AppConfig) {
    const warn = rateLimitedWarning(new Logger(RedisThrottlerStorage.name), FAIL_OPEN_WARNING_INTERVAL_MS);
    this.counter = new RedisRateLimitCounter({
      redis: config,
      keyPrefix: `${config.QUEUE_PREFIX}:ratelimit:`,
      onRedisUnavailable: (error) => warn(`rate limits not enforced: Redis is unreachable (${error.message})`),
    });
  }

  increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): Promise<RateLimitRecord> {
    return this.counter.increment(key, ttl, limit, blockDuration, throttlerName);
  }

  onApplicationShutdown(): void {
    this.counter.close();
  }
}
