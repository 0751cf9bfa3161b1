import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import { unlinkKeysMatching } from '../../libs/jobs/src/redis-keys';
import { testEnvironment } from './test-environment';

/**
 * Leaves nothing of this run behind, and touches nothing of another's (other runs and
 * deployments may share the PostgreSQL server and the Redis): drops the databases and deletes
 * the Redis keys whose names carry this run's id, stops the embedded services if the setup
 * started them, then removes the temporary directories the setup recorded. Every step runs
 * even when an earlier one failed; the first error is reported at the end.
 */
export default async function globalTeardown(): Promise<void> {
  const environment = testEnvironment();
  // The run id goes into a LIKE pattern and a Redis glob: it must hold no wildcard of either.
  if (!/^[0-9a-z]+$/.test(environment.runId)) throw new Error(`unexpected test run id ${JSON.stringify(environment.runId)}`);
  const errors: unknown[] = [];
  const step = async (work: () => Promise<void>): Promise<void> => {
    try {
      await work();
    } catch (error) {
      errors.push(error);
    }
  };

  await step(() => dropDatabases(environment.postgresServerUrl, environment.runId));
  await step(() => deleteRedisKeys(environment.redisUrl, environment.runId));
  await step(async () => {
    const services = (globalThis as { kalmaLocalServices?: { stop(): Promise<void> } }).kalmaLocalServices;
    await services?.stop();
  });
  await step(async () => {
    for (const directory of environment.temporaryDirectories) removeTemporaryDirectory(directory);
  });
  if (errors.length > 0) throw errors[0];
}

async function dropDatabases(postgresServerUrl: string, runId: string): Promise<void> {
  const admin = new Client({ connectionString: postgresServerUrl });
  await admin.connect();
  try {
    // `_` is a LIKE wildcard: escaped, so that only names made by this run match.
    const { rows } = await admin.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [
      `kalma\\_test\\_${runId}\\_%`,
    ]);
    for (const { datname } of rows) await admin.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

/**
 * Deletes this run's keys: queue prefixes are `kalma-test-<runId>-<random>` (uniqueQueuePrefix),
 * and specs that use Redis directly write under `kalma-test-<runId>:`.
 */
async function deleteRedisKeys(redisUrl: string, runId: string): Promise<void> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1, connectTimeout: 2_000, lazyConnect: true });
  try {
    await redis.connect();
    // The separator is part of the pattern: `kalma-test-<runId>*` alone would also match another
    // run whose id merely starts with this one.
    await unlinkKeysMatching(redis, `kalma-test-${runId}[-:]*`);
  } finally {
    redis.disconnect();
  }
}

/** Removes a directory the setup made, after checking it is one: a `kalma-test-` directory right under the OS temporary directory. */
function removeTemporaryDirectory(directory: string): void {
  const resolved = path.resolve(directory);
  if (path.dirname(resolved) !== path.resolve(tmpdir()) || !path.basename(resolved).startsWith('kalma-test-')) {
    throw new Error(`refusing to remove ${resolved}: not a kalma-test- directory of the OS temporary directory`);
  }
  rmSync(resolved, { recursive: true, force: true });
}
