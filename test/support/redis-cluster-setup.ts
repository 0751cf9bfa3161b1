import globalSetup from './global-setup';
import globalTeardown from './global-teardown';
import { startRedisCluster } from './redis-cluster';
import { TEST_REDIS_CLUSTER_VARIABLE } from './test-environment';

/**
 * Global setup of the `redis-cluster` jest project: the general setup (PostgreSQL, Redis and the
 * template database; once per run, whichever projects run), then a 3-primary, 3-replica Redis
 * Cluster on loopback for the suites that run against it. Its teardown stops it and removes its directory.
 */
export default async function redisClusterSetup(): Promise<void> {
  await globalSetup();
  let cluster: Awaited<ReturnType<typeof startRedisCluster>>;
  try {
    cluster = await startRedisCluster({ primaries: 3, replicasPerPrimary: 1 });
  } catch (error) {
    // Jest runs no global teardown when a setup fails: undo the general setup here.
    await globalTeardown().catch(() => undefined);
    throw error;
  }
  (globalThis as { kalmaTestRedisCluster?: typeof cluster }).kalmaTestRedisCluster = cluster;
  process.env[TEST_REDIS_CLUSTER_VARIABLE] = JSON.stringify({ seeds: cluster.seeds });
}
