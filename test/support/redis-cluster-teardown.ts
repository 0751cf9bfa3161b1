import type { RedisClusterProcesses } from './redis-cluster';

export default async function redisClusterTeardown(): Promise<void> {
  await (globalThis as { kalmaTestRedisCluster?: RedisClusterProcesses }).kalmaTestRedisCluster?.stop();
}
