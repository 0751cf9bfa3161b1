import type { RedisOptions } from 'bullmq';

/**
 * Connection options for BullMQ. Workers wait for Redis forever (`maxRetriesPerRequest: null`,
 * as BullMQ requires); producers in the API fail fast instead, so a Redis outage never
 * blocks a booking: the change is in Postgres, and sweeps re-trigger the jobs.
 */
export function redisConnectionOptions(url: string, options: { failFast: boolean }): RedisOptions {
  return options.failFast
    ? { url, maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2_000 }
    : { url, maxRetriesPerRequest: null, enableOfflineQueue: true };
}
