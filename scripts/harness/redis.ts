import { Redis } from 'ioredis';
import { unlinkKeysMatching } from '../../libs/jobs/src/redis-keys';

/** Deletes the keys matching `pattern` on the Redis of `redisUrl` (SCAN and UNLINK, never KEYS); resolves with how many. */
export async function deleteRedisKeys(redisUrl: string, pattern: string): Promise<number> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1, connectTimeout: 2_000, lazyConnect: true });
  try {
    await redis.connect();
    return await unlinkKeysMatching(redis, pattern);
  } finally {
    redis.disconnect();
  }
}
