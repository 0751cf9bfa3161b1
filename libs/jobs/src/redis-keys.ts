import type { Redis } from 'ioredis';
import { isCluster, RedisClient } from './redis-connection';

/**
 * Deletes every key matching `pattern` (a SCAN MATCH pattern) and returns how many: SCAN walks
 * the keyspace a batch at a time without blocking the server as KEYS would, and UNLINK frees
 * the memory in the background. For cleaning up a QUEUE_PREFIX that is no longer used. On a
 * cluster, every primary is scanned (each holds only its own slots).
 */
export async function unlinkKeysMatching(redis: RedisClient, pattern: string): Promise<number> {
  if (!isCluster(redis)) return unlinkOnOneNode(redis, pattern, true);
  await redis.ping(); // a cluster client knows its nodes once connected
  let deleted = 0;
  for (const node of redis.nodes('master')) deleted += await unlinkOnOneNode(node, pattern, false);
  return deleted;
}

async function unlinkOnOneNode(redis: Redis, pattern: string, oneCommandPerBatch: boolean): Promise<number> {
  let deleted = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    if (keys.length > 0) {
      if (oneCommandPerBatch) {
        deleted += await redis.unlink(...keys);
      } else {
        // A node of a cluster refuses one UNLINK of keys in different slots (CROSSSLOT): one per key, pipelined.
        const pipeline = redis.pipeline();
        for (const key of keys) pipeline.unlink(key);
        for (const [error, count] of (await pipeline.exec()) ?? []) {
          if (error) throw error;
          deleted += Number(count);
        }
      }
    }
    cursor = next;
  } while (cursor !== '0');
  return deleted;
}
