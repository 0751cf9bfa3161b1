/**
 * What the global setup hands to every test file, through environment variables
 * (test workers are started after the setup and inherit them).
 */
export interface TestEnvironment {
  /** Server URL without a database name, e.g. postgres://postgres@127.0.0.1:5432 */
  postgresServerUrl: string;
  /** A migrated database that test databases are copied from. */
  templateDatabase: string;
  redisUrl: string;
  /** Unique per `npm test` run: prefixes databases and queue keys so concurrent runs never meet. */
  runId: string;
  /** Directories the setup made under the OS temporary directory (the embedded services' data); the teardown removes them. */
  temporaryDirectories: string[];
}

export const TEST_ENVIRONMENT_VARIABLE = 'KALMA_TEST_ENVIRONMENT';

export function testEnvironment(): TestEnvironment {
  const raw = process.env[TEST_ENVIRONMENT_VARIABLE];
  if (!raw) throw new Error('Run the tests through jest (the global setup prepares the databases)');
  return JSON.parse(raw) as TestEnvironment;
}

/** Replaces the database name of a postgres URL. */
export { withDatabase } from '../../scripts/harness/databases';

/** Where the redis-cluster project's global setup hands its cluster to the test files. */
export const TEST_REDIS_CLUSTER_VARIABLE = 'KALMA_TEST_REDIS_CLUSTER';

/**
 * REDIS_CLUSTER_NODES for the stacks of this test file: the seeds of the cluster the global setup
 * started when the file runs in the `redis-cluster` jest project (its `globals` set
 * `kalmaRedisCluster`), else undefined (the file runs against REDIS_URL).
 */
export function testRedisClusterNodes(): string | undefined {
  if ((globalThis as { kalmaRedisCluster?: boolean }).kalmaRedisCluster !== true) return undefined;
  const raw = process.env[TEST_REDIS_CLUSTER_VARIABLE];
  if (!raw) throw new Error('The redis-cluster project runs with its global setup (test/support/redis-cluster-setup.ts)');
  return (JSON.parse(raw) as { seeds: string }).seeds;
}
