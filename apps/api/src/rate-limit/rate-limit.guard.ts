import { createHash } from 'node:crypto';
import { ExecutionContext, Injectable } from '@nestjs/common';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  ThrottlerGuard,
  ThrottlerLimitDetail,
  type ThrottlerModuleOptions,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import { AuthenticatedRequest, PUBLIC_ROUTE } from '#libs/access';
import { MemoizedReflector, RateLimited } from '#libs/shared';
import { keyTracker } from './rate-limit-window';

/**
 * `RATE_LIMIT_PER_MINUTE` per API key, counted in Redis across every API process.
 * Registered as a global guard after `ApiKeyGuard`, so the principal is known and the count is
 * per key id (whatever route is called). Public routes (health, metrics, docs) are not limited.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  // The package's guard reads seven pieces of route metadata per request: each read once per route.
  constructor(@InjectThrottlerOptions() options: ThrottlerModuleOptions, @InjectThrottlerStorage() storage: ThrottlerStorage) {
    super(options, storage, new MemoizedReflector());
  }

  protected override async shouldSkip(context: ExecutionContext): Promise<boolean> {
    return this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, [context.getHandler(), context.getClass()]) === true;
  }

  protected override async getTracker(request: AuthenticatedRequest): Promise<string> {
    const { principal, headers } = request;
    if (principal) return keyTracker(principal.keyId);
    // Only reached if this guard ever ran before authentication: count per credential (hashed,
    // never the key itself in Redis), else per client address.
    const authorization = headers.authorization;
    if (typeof authorization === 'string' && authorization.length > 0) {
      return `credential:${createHash('sha256').update(authorization).digest('base64url')}`;
    }
    return `ip:${await super.getTracker(request)}`;
  }

  /** One counter per caller for the whole API, not one per route (the package default). */
  protected override generateKey(_context: ExecutionContext, tracker: string): string {
    return tracker;
  }

  protected override async throwThrottlingException(_context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    throw new RateLimited(Math.max(1, detail.timeToBlockExpire));
  }
}
