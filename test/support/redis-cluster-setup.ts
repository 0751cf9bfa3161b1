import { startRedisCluster } from './redis-cluster';
import { TEST_REDIS_CLUSTER_VARIABLE } from './test-environment';

/**
 * Global setup of the `redis-cluster` jest project: a 3-primary, 3-replica Redis Cluster on
 * loopback for the suites that run against it (the general setup, PostgreSQL and the template
 * database, runs as well). Its teardown stops it and removes its directory.
 */
export default async function redisClusterSetup(): Promise<void> {
  const cluster = await startRedisCluster({ primaries: 3, replicasPerPrimary: 1 });
  (globalThis as { kalmaTestRedisCluster?: typeof cluster }).kalmaTestRedisCluster = cluster;
  process.env[TEST_REDIS_CLUSTER_VARIABLE] = JSON.stringify({ seeds: cluster.seeds });
}
