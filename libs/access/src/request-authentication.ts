import { Injectable } from '@nestjs/common';
import { RateLimited, Unauthenticated } from '#libs/shared';
import { ApiKeysService } from './api-keys.service';
import { AuthFailureLimiter } from './auth-failure-limiter';
import type { Principal } from './principal';

/**
 * Resolves the key of a request to its principal, with the failures limited per client address
 * (used by `ApiKeyGuard` and by the queue board's hook alike). The order keeps a valid key as
 * fast as before and an attacker's guesses off the database:
 * 1. a key in this process's cache passes at once (no Redis, no database), whatever its address;
 * 2. an address this process knows to be over the limit gets 429 before any database read;
 * 3. otherwise the key is looked up; a failure is counted in Redis (one round trip, failures
 *    only), and the one that goes over the limit is already answered 429.
 * A valid key that is not cached, sent from an address over its limit, is refused 429 as well:
 * telling it from a guess would take the very database read the limit is there to spare.
 */
@Injectable()
export class RequestAuthentication {
  constructor(
    private readonly apiKeys: ApiKeysService,
    private readonly failures: AuthFailureLimiter,
  ) {}

  /** `key` as read from the request (undefined: none or malformed, `missingKeyMessage` says what to send). */
  async principalOf(address: string, key: string | undefined, missingKeyMessage: string): Promise<Principal> {
    const cached = key === undefined ? undefined : this.apiKeys.cachedPrincipal(key);
    if (cached) return cached;
    const blockedFor = this.failures.blockedFor(address);
    if (blockedFor !== undefined) throw new RateLimited(blockedFor);
    if (key === undefined) return this.refuse(address, new Unauthenticated(missingKeyMessage));
    const principal = await this.apiKeys.authenticate(key);
    return principal ?? this.refuse(address, new Unauthenticated('This API key is unknown or revoked'));
  }

  private async refuse(address: string, error: Unauthenticated): Promise<never> {
    const retryAfter = await this.failures.recordFailure(address);
    throw retryAfter === undefined ? error : new RateLimited(retryAfter);
  }
}
