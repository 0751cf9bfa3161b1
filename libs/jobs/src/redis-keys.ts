import type { Redis } from 'ioredis';

/**
 * Deletes every key matching `pattern` (a SCAN MATCH pattern) and returns how many: SCAN walks
 * the keyspace a batch at a time without blocking the server as KEYS would, and UNLINK frees
 * the memory in the background. For cleaning up a QUEUE_PREFIX that is no longer used.
 */
export async function unlinkKeysMatching(redis: Redis, pattern: string): Promise<number> {
  let deleted = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    if (keys.length > 0) deleted += await redis.unlink(...keys);
    cursor = next;
  } while (cursor !== '0');
  return deleted;
}
