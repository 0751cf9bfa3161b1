/**
 * What the API's limits share, so that every place counting against a key's limit (the API's
 * guard, the queue board's hook) counts in the same Redis counter.
 */

/** Every limit counts hits in one-minute windows. */
export const RATE_LIMIT_WINDOW_MS = 60_000;

/** The throttler of the per-key limit: named 'default' so the headers are plain `X-RateLimit-*` and `Retry-After`. */
export const PER_KEY_THROTTLER = 'default';

/** The tracker a key's requests are counted under. */
export function keyTracker(keyId: string): string {
  return `key:${keyId}`;
}
