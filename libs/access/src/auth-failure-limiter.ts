/**
 * `AUTH_FAILURES_PER_MINUTE`: requests that fail authentication, counted per client address
 * across API processes. An abstract class (a DI token) so that this library stays free of the
 * Redis counter, which the API application provides (apps/api/src/rate-limit).
 */
export abstract class AuthFailureLimiter {
  /** Seconds until `address` may try again, if this process already knows it is over the limit; no I/O. */
  abstract blockedFor(address: string): number | undefined;
  /** Counts one failure of `address`; answers the seconds to wait if that one went over the limit. */
  abstract recordFailure(address: string): Promise<number | undefined>;
}
