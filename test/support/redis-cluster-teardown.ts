import globalTeardown from './global-teardown';
import type { RedisClusterProcesses } from './redis-cluster';

/** Stops the cluster, then the general teardown (once per run, whichever projects ran). */
export default async function redisClusterTeardown(): Promise<void> {
  try {
    await (globalThis as { kalmaTestRedisCluster?: RedisClusterProcesses }).kalmaTestRedisCluster?.stop();
  } finally {
    await globalTeardown();
  }
}
