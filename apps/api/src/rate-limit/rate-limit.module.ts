import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { getOptionsToken, getStorageToken, ThrottlerModuleOptions } from '@nestjs/throttler';
import { AuthFailureLimiter } from '#libs/access';
import { AppConfig } from '#libs/config';
import { RateLimitGuard } from './rate-limit.guard';
import { RedisAuthFailureLimiter } from './redis-auth-failure-limiter';
import { PER_KEY_THROTTLER, RATE_LIMIT_WINDOW_MS } from './rate-limit-window';
import { RedisThrottlerStorage } from './redis-throttler-storage';

/**
 * Rate limits of the HTTP API. Import it AFTER `AccessHttpModule` in `ApiModule`: global guards
 * run in the order they are registered, and the limit is counted per API key, which
 * `ApiKeyGuard` resolves first.
 *
 * Global, so that `AccessHttpModule`'s `RequestAuthentication` finds the `AuthFailureLimiter` it
 * needs (the counters live here, on the same Redis connection as the per-key limits), and the
 * queue board its storage.
 */
@Global()
@Module({
  providers: [
    RedisThrottlerStorage,
    { provide: getStorageToken(), useExisting: RedisThrottlerStorage },
    {
      provide: getOptionsToken(),
      inject: [AppConfig],
      useFactory: (config: AppConfig): ThrottlerModuleOptions => ({
        // No extra block: a key over its limit is refused until its one-minute window ends.
        throttlers: [{ name: PER_KEY_THROTTLER, ttl: RATE_LIMIT_WINDOW_MS, limit: config.RATE_LIMIT_PER_MINUTE, blockDuration: 0 }],
      }),
    },
    { provide: APP_GUARD, useClass: RateLimitGuard },
    { provide: AuthFailureLimiter, useClass: RedisAuthFailureLimiter },
  ],
  exports: [AuthFailureLimiter, RedisThrottlerStorage],
})
export class RateLimitModule {}
